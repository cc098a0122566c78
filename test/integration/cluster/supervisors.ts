/**
 * Real supervisors in a cluster for the scale-out tests: each an `mcp-supervisor start` process
 * with its own temp home and its own copy of the timed fixture server, all on one real
 * redis-server, reached by real MCP clients (the SDK's Streamable HTTP client) through
 * `/mcp/<server>` with the owner's token. What is measured comes from the fixture's own clock
 * (when each call started and ended on its server), one clock for every process on this machine.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { McpError } from '@modelcontextprotocol/sdk/types.js';
import type { AlertRow, ClusterStatus } from '../../../supervisor/client/wire-types.ts';
import {
  cleanupTempHomes,
  describeProcesses,
  runCli,
  type SupervisorProcess,
  startSupervisorProcess,
  type TempHome,
  tempHome,
  testServerEnv,
  waitFor,
  waitForNoProcessesUnder,
} from '../../helpers/index.ts';
import { type RedisServer, startRedis } from '../../helpers/redis.ts';

import { type ConnectedClient, connectClient, mcpUrl } from '../gateway/helpers.ts';

const TIMED_SERVER = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures/timed-server.mjs');

/** The signing secret of the test clusters (a real cluster takes it from a secret store). */
export const KEY_SECRET = 'test-cluster-key-secret-'.padEnd(48, 'x');

export type ServerLimits = {
  maxConcurrent?: number;
  requestsPerMinute?: number;
  burst?: number;
  queueSize?: number;
  requestTimeoutMs?: number;
};

export interface MemberSpec {
  /** Its `hostLabel`. */
  name: string;
  onUnavailable?: 'local' | 'refuse';
}

/** One supervisor of a test cluster. */
export interface Member {
  readonly name: string;
  readonly home: TempHome;
  supervisor: SupervisorProcess;
  /** The owner's control token, which the gateway takes as a client key for every server. */
  token: string;
  cluster(): Promise<ClusterStatus>;
  alerts(all?: boolean): Promise<AlertRow[]>;
  /** A real MCP client on `/mcp/<server>` (closed after the file). */
  connect(server: string, token?: string): Promise<ConnectedClient>;
}

/** What happened to one call of the fixture's `work` tool. */
export type CallOutcome = {
  member: string;
  issuedAt: number;
  settledAt: number;
  outcome: 'ok' | 'refused' | 'error' | 'hang';
  /** Server-side wall clock of the call, when it ran. */
  startedAt?: number;
  endedAt?: number;
  reason?: string;
  retryAfterMs?: number;
  message?: string;
};

/**
 * A cluster of real supervisors for one test file: `start()` them in `beforeAll`, `stopAll()`
 * in `afterAll` (a clean stop each, then the check that nothing of their homes still runs).
 */
export function supervisorCluster(options: {
  redis: () => RedisServer;
  clusterId: string;
  servers: Record<string, ServerLimits>;
  /** Redis bound: generous, so a loaded machine does not send requests to the fallback. */
  timeoutMs?: number;
}) {
  const members: Member[] = [];
  const clients: ConnectedClient[] = [];

  const configOf = (home: TempHome, spec: MemberSpec) => ({
    mcpServers: Object.fromEntries(
      Object.entries(options.servers).map(([name, limits]) => [
        name,
        { command: process.execPath, args: [TIMED_SERVER], env: testServerEnv(home.path, name), limits },
      ]),
    ),
    supervisor: {
      // The limits under test, not the host's load: no adaptive scaling.
      limits: { adaptive: false },
      // Alerts are evaluated at each monitor sample.
      monitor: { intervalMs: 300 },
      gateway: { auth: 'keys' },
      cluster: {
        // biome-ignore lint/suspicious/noTemplateCurlyInString: the config syntax, expanded by the supervisor
        redis: '${REDIS_URL}',
        id: options.clusterId,
        timeoutMs: options.timeoutMs ?? 1_000,
        heartbeatMs: 300,
        onUnavailable: spec.onUnavailable ?? 'local',
        hostLabel: spec.name,
        // biome-ignore lint/suspicious/noTemplateCurlyInString: the config syntax, expanded by the supervisor
        keySecret: '${MCPS_CLUSTER_KEY_SECRET}',
      },
    },
  });

  async function launch(home: TempHome, spec: MemberSpec): Promise<SupervisorProcess> {
    return startSupervisorProcess({
      home: home.path,
      config: configOf(home, spec),
      env: { REDIS_URL: options.redis().url, MCPS_CLUSTER_KEY_SECRET: KEY_SECRET },
    });
  }

  async function startOne(spec: MemberSpec): Promise<Member> {
    const home = await tempHome('mcps-c-');
    const supervisor = await launch(home, spec);
    const member: Member = {
      name: spec.name,
      home,
      supervisor,
      token: (await readFile(supervisor.paths.tokenFile, 'utf8')).trim(),
      async cluster() {
        const body = await member.supervisor.status();
        if (!body.cluster) throw new Error(`${spec.name}: /api/status has no cluster`);
        return body.cluster;
      },
      async alerts(all = false) {
        const body = await member.supervisor.client.request<{ alerts: AlertRow[] }>(
          'GET',
          all ? '/api/alerts?all=true' : '/api/alerts',
        );
        return body.alerts;
      },
      async connect(server, token = member.token) {
        const connected = await connectClient(mcpUrl(member.supervisor.port, server), {
          token,
          name: `cluster-test-${spec.name}`,
        });
        clients.push(connected);
        return connected;
      },
    };
    members.push(member);
    return member;
  }

  return {
    members,
    /** Starts the members one after the other (each one's first start of PM2 is CPU-heavy). */
    async start(specs: MemberSpec[]): Promise<Member[]> {
      const started: Member[] = [];
      for (const spec of specs) started.push(await startOne(spec));
      // Every member has seen every other: the shares and the member lists are settled.
      for (const member of started) {
        await waitFor(
          async () => ((await member.cluster()).membersSeen === started.length ? true : undefined),
          { what: `${member.name} sees ${started.length} members`, timeoutMs: 15_000 },
        );
      }
      return started;
    },
    /** After a crash of `member`'s supervisor: a new `start` on its home (which removes what it left). */
    async restart(member: Member, spec: MemberSpec): Promise<void> {
      member.supervisor = await launch(member.home, spec);
      member.token = (await readFile(member.supervisor.paths.tokenFile, 'utf8')).trim();
    },
    /**
     * Stops every member with the CLI (one after the other: each leaves the member list and
     * frees its slots), checks that nothing of their homes runs after, then removes the homes.
     */
    async stopAll(): Promise<void> {
      for (const client of clients.splice(0)) await client.close();
      const problems: string[] = [];
      for (const member of members.splice(0)) {
        const stopped = await runCli(['stop'], { home: member.home.path, timeoutMs: 45_000 }).catch(
          (error: unknown) => ({ code: null, stderr: String(error) }),
        );
        if (stopped.code !== 0)
          problems.push(`${member.name}: stop failed (exit ${stopped.code}): ${stopped.stderr}`);
        const left = await waitForNoProcessesUnder(member.home.path, { timeoutMs: 15_000 });
        if (left.length > 0)
          problems.push(`${member.name}: still running after stop:\n${describeProcesses(left)}`);
      }
      await cleanupTempHomes().catch((error: unknown) => problems.push(String(error)));
      if (problems.length > 0) throw new Error(problems.join('\n'));
    },
  };
}

type Hook = (fn: () => Promise<void>, timeoutMs?: number) => void;

/**
 * One redis-server and a cluster of real supervisors for a test file: started in `beforeAll`
 * (the members one after the other, until each sees all), stopped in `afterAll` (see
 * `stopAll`), the redis-server last.
 */
export function useSupervisorCluster(
  hooks: { beforeAll: Hook; afterAll: Hook },
  options: Omit<Parameters<typeof supervisorCluster>[0], 'redis'> & { members: MemberSpec[] },
) {
  let redis: RedisServer | undefined;
  const cluster = supervisorCluster({
    ...options,
    redis: () => {
      if (!redis) throw new Error('redis is started in beforeAll');
      return redis;
    },
  });
  hooks.beforeAll(async () => {
    redis = await startRedis();
    await cluster.start(options.members);
  }, 180_000);
  hooks.afterAll(async () => {
    try {
      await cluster.stopAll();
    } finally {
      await redis?.stop();
    }
  }, 180_000);
  return {
    get redis(): RedisServer {
      if (!redis) throw new Error('redis is started in beforeAll');
      return redis;
    },
    /** The member started as `name`. */
    member(name: string): Member {
      const found = cluster.members.find((member) => member.name === name);
      if (!found) throw new Error(`no member ${name}`);
      return found;
    },
    /** Every member, in start order. */
    get members(): readonly Member[] {
      return cluster.members;
    },
    restart: cluster.restart,
  };
}

/** One call of `work`, classified; a call unanswered after `hangMs` is a hang (never awaited). */
export async function callWork(
  member: string,
  client: ConnectedClient,
  ms: number,
  hangMs: number,
): Promise<CallOutcome> {
  const issuedAt = Date.now();
  const call = client.client
    .callTool({ name: 'work', arguments: { ms } }, undefined, { timeout: hangMs + 5_000 })
    .then(
      (result): Partial<CallOutcome> => {
        const content = result.content as { type: string; text?: string }[];
        const text = content[0]?.text ?? '{}';
        const ran = JSON.parse(text) as { startedAt: number; endedAt: number };
        return { outcome: 'ok', startedAt: ran.startedAt, endedAt: ran.endedAt };
      },
      (error: unknown): Partial<CallOutcome> => {
        if (error instanceof McpError) {
          const data = error.data as { reason?: string; retryAfterMs?: number } | undefined;
          if (typeof data?.reason === 'string') {
            return { outcome: 'refused', reason: data.reason, retryAfterMs: data.retryAfterMs };
          }
        }
        return { outcome: 'error', message: String(error) };
      },
    );
  let timer: NodeJS.Timeout | undefined;
  const hang = new Promise<Partial<CallOutcome>>((resolve) => {
    timer = setTimeout(() => resolve({ outcome: 'hang' }), hangMs);
  });
  const result = await Promise.race([call, hang]);
  clearTimeout(timer);
  return { member, issuedAt, settledAt: Date.now(), outcome: 'error', ...result };
}

export type LoadOptions = {
  /** Calls issued at most, per member. */
  count: number;
  /** Callers per member, each issuing one call after the other on the member's one session. */
  callers: number;
  /** How long each call runs on the server. */
  ms: number;
  /** No call is issued after this long. */
  durationMs: number;
  /** No call is issued once this is aborted (a test that ends its load at a point of its own). */
  signal?: AbortSignal;
  /** Pause of a caller after a refusal, so a refused caller does not spin. */
  pauseAfterRefusalMs: number;
  hangMs: number;
};

/** Bounded load on `server` through every member's gateway at once; every call's outcome. */
export async function loadAll(
  members: readonly Member[],
  server: string,
  load: LoadOptions,
): Promise<CallOutcome[]> {
  const outcomes: CallOutcome[] = [];
  const stopAt = Date.now() + load.durationMs;
  await Promise.all(
    members.map(async (member) => {
      const client = await member.connect(server);
      let issued = 0;
      await Promise.all(
        Array.from({ length: load.callers }, async () => {
          while (issued < load.count && Date.now() < stopAt && !load.signal?.aborted) {
            issued++;
            const outcome = await callWork(member.name, client, load.ms, load.hangMs);
            outcomes.push(outcome);
            if (outcome.outcome !== 'ok') await new Promise((r) => setTimeout(r, load.pauseAfterRefusalMs));
          }
        }),
      );
    }),
  );
  return outcomes;
}
