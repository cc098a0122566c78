/**
 * A config that validates always starts. Every numeric field of the schema is taken to each of
 * its bounds — the ones the schema states, and the safe-integer edge of the unbounded ones — and
 * a real `start` runs with all of them at once; one step past each bound, `config validate`
 * names the field. The cross-field rules (auth on a non-loopback host, adaptive limits under a
 * low CPU threshold) and the listener's own failures (a wildcard host, a port in use) are here
 * too, with real processes.
 */
import { readFile, writeFile } from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { z } from 'zod';
import { configSchema } from '../../../supervisor/config/schema.ts';
import {
  cleanupTempHomes,
  freePort,
  runCli,
  startSupervisorProcess,
  tempHome,
  testServers,
  waitForNoProcessesUnder,
} from '../../helpers/index.ts';

afterAll(cleanupTempHomes);

interface NumericField {
  /** Path in the config; `*` is the one server of the test config. */
  path: string[];
  isInt: boolean;
  /** Smallest and largest valid values. */
  lowest: number;
  highest: number;
  /** The nearest invalid values beyond them. */
  belowLowest: number;
  aboveHighest: number;
}

type AnySchema = z.core.$ZodType;
type CheckDef = { check: string; value?: number; inclusive?: boolean; format?: string };

function unwrap(schema: AnySchema): AnySchema {
  let current = schema;
  while (current._zod.def.type === 'default' || current._zod.def.type === 'optional') {
    current = (current._zod.def as unknown as { innerType: AnySchema }).innerType;
  }
  return current;
}

/** Every number of the schema with its bounds, read from the schema itself (so none is missed). */
function numericFields(schema: AnySchema, at: string[] = [], out: NumericField[] = []): NumericField[] {
  const inner = unwrap(schema);
  const def = inner._zod.def as unknown as {
    type: string;
    shape?: Record<string, AnySchema>;
    valueType?: AnySchema;
    checks?: { _zod: { def: CheckDef } }[];
  };
  if (def.type === 'object') {
    for (const [key, value] of Object.entries(def.shape ?? {})) numericFields(value, [...at, key], out);
  } else if (def.type === 'record' && def.valueType) {
    numericFields(def.valueType, [...at, '*'], out);
  } else if (def.type === 'number') {
    const checks = (def.checks ?? []).map((check) => check._zod.def);
    const isInt = checks.some((c) => c.check === 'number_format' && c.format === 'safeint');
    const step = isInt ? 1 : 0.001;
    let lowest = isInt ? Number.MIN_SAFE_INTEGER : -Number.MAX_VALUE;
    let belowLowest = isInt ? lowest - 2 : Number.NEGATIVE_INFINITY;
    let highest = isInt ? Number.MAX_SAFE_INTEGER : Number.MAX_VALUE;
    let aboveHighest = isInt ? highest + 2 : Number.POSITIVE_INFINITY;
    for (const check of checks) {
      if (check.check === 'greater_than' && check.value !== undefined) {
        lowest = check.inclusive ? check.value : check.value + step;
        belowLowest = check.inclusive ? check.value - step : check.value;
      }
      if (check.check === 'less_than' && check.value !== undefined) {
        highest = check.inclusive ? check.value : check.value - step;
        aboveHighest = check.inclusive ? check.value + step : check.value;
      }
    }
    out.push({ path: at, isInt, lowest, highest, belowLowest, aboveHighest });
  }
  return out;
}

const FIELDS = numericFields(configSchema as unknown as AnySchema);
/** The listening port is always the free one the test picks (MCP_SUPERVISOR_PORT=0). */
const isPort = (field: NumericField) => field.path.join('.') === 'supervisor.port';

function shown(field: NumericField): string {
  return field.path.join('.').replace('*', 'edge');
}

/** A config with one real server, `edge`, and every field at the value `pick` gives it. */
function configWith(
  home: string,
  pick: (field: NumericField) => number | undefined,
): Record<string, unknown> {
  const config: Record<string, unknown> = {
    mcpServers: { edge: testServers.everythingStdio(home, 'edge') },
    supervisor: { gateway: { auth: 'none' } },
  };
  for (const field of FIELDS) {
    const value = pick(field);
    if (value === undefined) continue;
    let node = config;
    const keys = field.path.map((key) => (key === '*' ? 'edge' : key));
    for (const key of keys.slice(0, -1)) {
      node[key] ??= {};
      node = node[key] as Record<string, unknown>;
    }
    node[keys.at(-1)!] = value;
  }
  return config;
}

async function startAndStop(
  pick: (field: NumericField) => number | undefined,
  options: { waitForEdge: boolean },
) {
  const home = await tempHome();
  const config = configWith(home.path, pick);
  // The cluster's numbers need its Redis URL: one where nothing listens (a supervisor starts and
  // stops whether its Redis is up or not).
  const settings = config.supervisor as { cluster?: Record<string, unknown> };
  if (settings.cluster) settings.cluster.redis = `redis://127.0.0.1:${await freePort()}`;
  const supervisor = await startSupervisorProcess({
    home: home.path,
    config,
    waitForOnline: options.waitForEdge ? ['edge'] : [],
  });
  try {
    // Every configured server is listed from the supervisor's first answer on.
    const status = await supervisor.status();
    expect(status.servers.map((s) => s.name)).toEqual(['edge']);
  } finally {
    // Not waiting for edge, the stop lands in the start window (PM2 launching, or edge in its
    // 1 s start): it must end the start, never hang. It did: the stop ran its steps while the
    // start went on, and the config watcher registered afterwards kept the process alive.
    const stopped = await supervisor.stop();
    expect(stopped.code, stopped.stderr).toBe(0);
  }
  // A clean stop, not a deadline passed or a signal.
  const exit = await supervisor.exited;
  expect(exit.code, exit.stderr.slice(-1000)).toBe(0);
  expect(await waitForNoProcessesUnder(home.path)).toEqual([]);
}

/**
 * A start and a stop here are three Node processes booting (`start`, PM2's daemon, `stop`): at a
 * load of 20 on 2 cores each took 5–15 s to reach our first line (measured: `stop` 15 s from
 * spawn to main(), the whole stop 22 s of which 2 s were the supervisor's), so 60 s was not
 * enough for a run that does nothing wrong.
 */
const START_STOP_TIMEOUT_MS = 120_000;

async function validate(config: unknown): Promise<{ code: number | null; problems: string[] }> {
  const home = await tempHome();
  const file = path.join(home.path, 'candidate.json');
  await writeFile(file, JSON.stringify(config));
  const result = await runCli(['config', 'validate', file], { home: home.path, timeoutMs: 15_000 });
  const problems = result.stderr
    .split('\n')
    .filter((line) => line.startsWith('  '))
    .map((line) => line.trim());
  return { code: result.code, problems };
}

describe('every schema bound at its edge', () => {
  it('finds the numeric fields of the schema', () => {
    expect(FIELDS.length).toBeGreaterThan(30);
    expect(FIELDS.map((f) => f.path.join('.'))).toContain('supervisor.monitor.intervalMs');
  });

  it(
    'starts with every field at its highest valid value, and the server comes up',
    async () => {
      await startAndStop((field) => (isPort(field) ? undefined : field.highest), { waitForEdge: true });
    },
    START_STOP_TIMEOUT_MS,
  );

  it(
    'starts with every field at its lowest valid value',
    async () => {
      // A 1 s start timeout may not be enough for the server on a loaded machine, a 1 ms kill
      // timeout and backoff make every step of the stop as short as it gets: the supervisor must
      // start and stop cleanly all the same, stopped in the middle of its start.
      await startAndStop((field) => (isPort(field) ? undefined : field.lowest), { waitForEdge: false });
    },
    START_STOP_TIMEOUT_MS,
  );

  it('has config validate name each field one step past each of its bounds', async () => {
    for (const side of ['belowLowest', 'aboveHighest'] as const) {
      const beyond = FIELDS.filter((field) => Number.isFinite(field[side]));
      const { code, problems } = await validate(
        configWith('', (field) => (Number.isFinite(field[side]) ? field[side] : undefined)),
      );
      expect(code).toBe(3);
      for (const field of beyond) {
        const lines = problems.filter((line) => line.startsWith(`${shown(field)}: `));
        expect(lines, `${shown(field)} = ${field[side]} (${side})`).toHaveLength(1);
      }
    }
  });
});

describe('rules across fields and the listener', () => {
  it('refuses browsers’ unsafe ports, and auth "none" on a non-loopback host, by their fields', async () => {
    for (const port of [6000, 10080]) {
      const { code, problems } = await validate({ supervisor: { port } });
      expect(code).toBe(3);
      expect(problems).toEqual([
        expect.stringMatching(/^supervisor\.port: port \d+ is one browsers and fetch refuse/),
      ]);
    }
    const { code, problems } = await validate({ supervisor: { host: '0.0.0.0', gateway: { auth: 'none' } } });
    expect(code).toBe(3);
    expect(problems).toEqual([
      expect.stringMatching(/^supervisor\.gateway\.auth: "none" is allowed only on a loopback host/),
    ]);
  });

  it('starts with a 5 % CPU threshold and adaptive limits on', async () => {
    const home = await tempHome();
    const config = {
      mcpServers: {},
      supervisor: { limits: { adaptive: true }, monitor: { thresholds: { cpuPercent: 5 } } },
    };
    expect((await validate(config)).code).toBe(0);
    const supervisor = await startSupervisorProcess({ home: home.path, config });
    expect((await supervisor.stop()).code).toBe(0);
  });

  it('bound to 0.0.0.0, answers the CLI on loopback', async () => {
    const home = await tempHome();
    const supervisor = await startSupervisorProcess({
      home: home.path,
      config: { mcpServers: {}, supervisor: { host: '0.0.0.0' } },
    });
    try {
      const status = await runCli(['status', '--json'], { home: home.path });
      expect(status.code, status.stderr).toBe(0);
      const response = await fetch(`http://127.0.0.1:${supervisor.port}/health`);
      expect(response.status).toBe(200);
      // DNS rebinding is still refused: a Host that is not this machine (fetch cannot set Host).
      const status403 = await new Promise<number | undefined>((resolve, reject) => {
        http
          .get(
            {
              host: '127.0.0.1',
              port: supervisor.port,
              path: '/health',
              headers: { host: `attacker.example:${supervisor.port}` },
            },
            (res) => {
              res.resume();
              resolve(res.statusCode);
            },
          )
          .on('error', reject);
      });
      expect(status403).toBe(403);
    } finally {
      expect((await supervisor.stop()).code).toBe(0);
    }
  });

  it('says "port in use" in one line, fast, on a fresh home, with no stack trace', async () => {
    const port = await freePort();
    const blocker = net.createServer();
    await new Promise<void>((resolve) => blocker.listen(port, '127.0.0.1', resolve));
    try {
      // Three fresh homes: the log folder does not exist yet on any of them.
      for (let i = 0; i < 3; i++) {
        const home = await tempHome();
        await writeFile(home.paths.configFile, JSON.stringify({ mcpServers: {} }));
        const result = await runCli(['start'], {
          home: home.path,
          env: { MCP_SUPERVISOR_PORT: String(port) },
          timeoutMs: 30_000,
        });
        expect(result.code).toBe(9);
        // Exactly the one line: no "_flushSync took too long", no stack of the log writer.
        expect(result.stderr.trim().split('\n')).toEqual([
          `mcp-supervisor: port ${port} on 127.0.0.1 is in use; set supervisor.port or MCP_SUPERVISOR_PORT to a free port`,
        ]);
        expect(result.stdout).not.toMatch(/"stack"|\n\s+at /);
        // The log writer lived: the failure is in the home's log too.
        const log = await readFile(path.join(home.paths.logDir, 'current.log'), 'utf8');
        expect(log).toContain(`supervisor failed to start: port ${port} on 127.0.0.1 is in use`);
        expect(await waitForNoProcessesUnder(home.path)).toEqual([]);
      }
    } finally {
      blocker.close();
    }
  });
});
