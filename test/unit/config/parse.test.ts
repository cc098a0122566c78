// biome-ignore-all lint/suspicious/noTemplateCurlyInString: `${VAR}` in plain strings is the config syntax under test.
import { describe, expect, it } from 'vitest';
import { applyEnvOverrides } from '../../../supervisor/config/load.ts';
import { parseConfig } from '../../../supervisor/config/parse.ts';
import { isSupervisorError } from '../../../supervisor/shared/errors.ts';

/** The problem lines of a CONFIG_INVALID error (each names a field path). */
function problems(text: string, env: NodeJS.ProcessEnv = {}): string[] {
  try {
    parseConfig(text, { source: 'c.json', env });
  } catch (error) {
    expect(isSupervisorError(error, 'CONFIG_INVALID')).toBe(true);
    const [first, ...rest] = (error as Error).message.split('\n');
    expect(first).toBe('c.json is invalid:');
    return rest.map((line) => line.trim());
  }
  throw new Error('expected the config to be refused');
}

const servers = (body: unknown) => JSON.stringify({ mcpServers: body });

describe('parseConfig', () => {
  it('names the exact field path and both types for a wrong array item', () => {
    expect(problems(servers({ memory: { command: 'npx', args: ['-y', 5] } }))).toEqual([
      'mcpServers.memory.args[1]: expected string, received number',
    ]);
  });

  it('names the received type for wrong scalars, arrays and null', () => {
    expect(problems(servers({ m: { command: 'x', disabled: 'yes' } }))).toEqual([
      'mcpServers.m.disabled: expected boolean, received string',
    ]);
    expect(problems(servers({ m: { command: 'x', args: 'a b' } }))).toEqual([
      'mcpServers.m.args: expected array, received string',
    ]);
    expect(problems(servers({ m: null }))).toEqual(['mcpServers.m: expected object, received null']);
    expect(problems('{"mcpServers":{},"supervisor":{"port":"80"}}')).toEqual([
      'supervisor.port: expected number, received string',
    ]);
  });

  it('refuses unknown keys, at the server and at the top', () => {
    expect(problems(servers({ m: { command: 'x', bogus: 1 } }))).toEqual([
      'mcpServers.m: unknown key "bogus"',
    ]);
    expect(problems('{"mcpServers":{},"extra":1,"more":2}')).toEqual(['unknown keys "extra", "more"']);
  });

  it('needs a command or a url', () => {
    expect(problems(servers({ m: {} }))).toEqual([
      'mcpServers.m: a server needs a "command" (stdio, or an HTTP server to run) or a "url" (remote)',
    ]);
    expect(problems(servers({ m: { url: 'not a url' } }))[0]).toMatch(/^mcpServers\.m\.url: /);
  });

  it('refuses server names that cannot be tool prefixes', () => {
    const lines = problems(
      servers({ 'bad name': { command: 'x' }, a__b: { command: 'x' }, ok: { command: 'x' } }),
    );
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^mcpServers\.bad name: server name "bad name" must be 1-48 characters/);
    expect(lines[1]).toMatch(/^mcpServers\.a__b: server name "a__b" .* without "__"$/);
    expect(() => parseConfig(servers({ 'a-b_9': { command: 'x' } }))).not.toThrow();
    expect(problems(servers({ ['x'.repeat(49)]: { command: 'x' } }))).toHaveLength(1);
  });

  it('refuses env names a process cannot be given, naming each', () => {
    expect(
      problems(servers({ m: { command: 'x', env: { GOOD_1: 'a', 'bad-name': 'b', '9x': 'c' } } })),
    ).toEqual([
      'mcpServers.m.env.bad-name: "bad-name" cannot be an environment variable name (letters, digits and "_", not starting with a digit); rename it',
      'mcpServers.m.env.9x: "9x" cannot be an environment variable name (letters, digits and "_", not starting with a digit); rename it',
    ]);
  });

  it('refuses the deprecated SSE transport by its field', () => {
    expect(problems(servers({ m: { url: 'http://h/sse', type: 'sse' } }))).toEqual([
      'mcpServers.m.type: the deprecated SSE transport is not supported; use a Streamable HTTP "url"',
    ]);
  });

  it('expands ${VAR} and ${VAR:-default} from the env it is given', () => {
    const config = parseConfig(
      servers({
        r: {
          url: 'https://h.invalid/mcp',
          headers: { Authorization: 'Bearer ${TOKEN}', X: '${NONE:-fallback}' },
        },
      }),
      { env: { TOKEN: 't0k' } },
    );
    expect(config.mcpServers.r?.headers).toEqual({ Authorization: 'Bearer t0k', X: 'fallback' });
  });

  it('names every unset variable with the field that uses it', () => {
    expect(
      problems(
        servers({ r: { url: 'https://h.invalid/mcp', headers: { Authorization: 'Bearer ${TOKEN}' } } }),
      ),
    ).toEqual([
      'mcpServers.r.headers.Authorization: ${TOKEN} is not set in the environment; set it or write ${TOKEN:-default}',
    ]);
  });

  it('accepts JSON5 (comments, unquoted keys, trailing commas) and fills defaults', () => {
    const config = parseConfig(`{
      // a comment
      mcpServers: { memory: { command: 'npx', args: ['-y', '@modelcontextprotocol/server-memory',], }, },
    }`);
    expect(config.mcpServers.memory).toMatchObject({
      command: 'npx',
      args: ['-y', '@modelcontextprotocol/server-memory'],
      disabled: false,
      env: {},
    });
    expect(config.supervisor.port).toBe(7420);
    expect(config.supervisor.restart).toMatchObject({
      maxRestarts: 10,
      backoffMs: 100,
      maxBackoffMs: 30_000,
    });
  });

  it('says the syntax is wrong, with the source, for text that is not JSON5', () => {
    expect(() => parseConfig('{ mcpServers: ', { source: 'c.json' })).toThrow(
      /^c\.json: not valid JSON\/JSON5 \(/,
    );
  });
});

describe('supervisor.cluster and supervisor.gateway.allowedHosts', () => {
  const supervisor = (body: unknown) => JSON.stringify({ supervisor: body });

  it('takes the cluster with ${REDIS_URL} expanded like every value, and fills its defaults', () => {
    const config = parseConfig(supervisor({ cluster: { redis: '${REDIS_URL}', id: 'prod' } }), {
      env: { REDIS_URL: 'redis://:pw@redis:6379/0' },
    });
    expect(config.supervisor.cluster).toEqual({
      redis: 'redis://:pw@redis:6379/0',
      id: 'prod',
      timeoutMs: 500,
      onUnavailable: 'local',
      heartbeatMs: 2_000,
    });
    // Without a cluster nothing is clustered.
    expect(parseConfig('{}').supervisor.cluster).toBeUndefined();
  });

  it('still takes the older { redis: { url } } shape', () => {
    const config = parseConfig(supervisor({ cluster: { redis: { url: 'redis://r:6379' } } }));
    expect(config.supervisor.cluster?.redis).toBe('redis://r:6379');
  });

  it('says which cluster field is wrong, and which variable is unset', () => {
    expect(problems(supervisor({ cluster: { redis: '${REDIS_URL}', onUnavailable: 'wait' } }))).toEqual([
      'supervisor.cluster.redis: expected a redis:// or rediss:// URL, e.g. "redis://redis:6379" or "${REDIS_URL}"',
      'supervisor.cluster.onUnavailable: Invalid option: expected one of "local"|"refuse"',
      'supervisor.cluster.redis: ${REDIS_URL} is not set in the environment; set it or write ${REDIS_URL:-default}',
    ]);
  });

  it('takes Host allowlist entries (lower-cased) and refuses what is not a host', () => {
    const config = parseConfig(
      supervisor({ gateway: { allowedHosts: ['Supervisor-1:7420', 'mcp.example.com', '[::1]:80'] } }),
    );
    expect(config.supervisor.gateway.allowedHosts).toEqual([
      'supervisor-1:7420',
      'mcp.example.com',
      '[::1]:80',
    ]);
    expect(problems(supervisor({ gateway: { allowedHosts: ['http://x:1', '*'] } }))).toEqual([
      'supervisor.gateway.allowedHosts[0]: expected a host name or IP with an optional port, e.g. "supervisor-1:7420"',
      'supervisor.gateway.allowedHosts[1]: expected a host name or IP with an optional port, e.g. "supervisor-1:7420"',
    ]);
  });
});

describe('config bounds and cross-field rules', () => {
  const supervisor = (settings: object) => JSON.stringify({ supervisor: settings });

  it('bounds timers to what a Node timer can wait, and the values that break a running supervisor', () => {
    expect(problems(supervisor({ monitor: { intervalMs: 1, healthCheckIntervalMs: 3e9 } }))).toEqual([
      'supervisor.monitor.intervalMs: must be at least 100 ms: sampling more often loads the host it measures (got 1)',
      'supervisor.monitor.healthCheckIntervalMs: must be at most 2147483647 ms (about 24.8 days): a Node timer set longer fires after 1 ms instead (got 3000000000)',
    ]);
    expect(problems(supervisor({ restart: { killTimeoutMs: 3e9 } }))).toEqual([
      'supervisor.restart.killTimeoutMs: must be at most 600000 ms (10 minutes): the longest a server may take to exit (got 3000000000)',
    ]);
    expect(problems(supervisor({ gateway: { sessionIdleMs: 1 } }))).toEqual([
      'supervisor.gateway.sessionIdleMs: must be at least 10000 ms: a client pausing between two calls would lose its session (got 1)',
    ]);
    expect(problems(supervisor({ gateway: { headersTimeoutMs: 5, receiveTimeoutMs: 3e9 } }))).toEqual([
      'supervisor.gateway.headersTimeoutMs: must be at least 1000 ms: a client on a slow link or a busy machine could not send its request in time (408) (got 5)',
      'supervisor.gateway.receiveTimeoutMs: must be at most 2147483647 ms (about 24.8 days): a Node timer set longer fires after 1 ms instead (got 3000000000)',
    ]);
    expect(problems(servers({ m: { command: 'x', startTimeoutMs: 3e9 } }))[0]).toMatch(
      /^mcpServers\.m\.startTimeoutMs: must be at most 2147483647 ms/,
    );
  });

  it('refuses the ports browsers and fetch refuse, in the file and in MCP_SUPERVISOR_PORT', () => {
    for (const port of [6000, 10080, 22]) {
      expect(problems(supervisor({ port }))).toEqual([
        `supervisor.port: port ${port} is one browsers and fetch refuse to connect to (the Fetch standard's bad ports); the CLI and the console could not reach it: pick another`,
      ]);
    }
    expect(() => applyEnvOverrides(parseConfig('{}'), { MCP_SUPERVISOR_PORT: '6000' })).toThrow(
      /^MCP_SUPERVISOR_PORT: port 6000 is one browsers and fetch refuse/,
    );
    expect(parseConfig(supervisor({ port: 0 })).supervisor.port).toBe(0);
  });

  it('allows auth "none" only on a loopback host, saying so at supervisor.gateway.auth', () => {
    for (const host of ['0.0.0.0', '::', '192.168.1.5']) {
      expect(problems(supervisor({ host, gateway: { auth: 'none' } }))).toEqual([
        `supervisor.gateway.auth: "none" is allowed only on a loopback host, not "${host}" (any machine that reaches it could call every server); use "keys", or set supervisor.host to 127.0.0.1`,
      ]);
    }
    for (const host of ['127.0.0.1', 'localhost', '::1']) {
      expect(() => parseConfig(supervisor({ host, gateway: { auth: 'none' } }))).not.toThrow();
    }
    expect(() => parseConfig(supervisor({ host: '0.0.0.0' }))).not.toThrow();
  });
});

describe('applyEnvOverrides', () => {
  const base = parseConfig('{}');

  it('takes MCP_SUPERVISOR_PORT, LOG_LEVEL and LOG_FORMAT (case-insensitive values)', () => {
    const config = applyEnvOverrides(base, {
      MCP_SUPERVISOR_PORT: '0',
      LOG_LEVEL: 'DEBUG',
      LOG_FORMAT: 'Pretty',
    });
    expect(config.supervisor.port).toBe(0);
    expect(config.supervisor.log).toEqual({ level: 'debug', format: 'pretty' });
    // The input is not changed.
    expect(base.supervisor.port).toBe(7420);
  });

  it('ignores empty values', () => {
    expect(applyEnvOverrides(base, { MCP_SUPERVISOR_PORT: '', LOG_LEVEL: '' }).supervisor.port).toBe(7420);
  });

  it.each([
    [
      { MCP_SUPERVISOR_PORT: '70000' },
      'MCP_SUPERVISOR_PORT must be a port number 0-65535, got "70000"; fix or unset it',
    ],
    [
      { MCP_SUPERVISOR_PORT: 'abc' },
      'MCP_SUPERVISOR_PORT must be a port number 0-65535, got "abc"; fix or unset it',
    ],
    [
      { LOG_LEVEL: 'loud' },
      'LOG_LEVEL must be one of fatal, error, warn, info, debug, trace, silent, got "loud"',
    ],
    [{ LOG_FORMAT: 'xml' }, 'LOG_FORMAT must be "json" or "pretty", got "xml"'],
  ])('refuses %o with a message that names it', (env, message) => {
    expect(() => applyEnvOverrides(base, env)).toThrow(message);
    try {
      applyEnvOverrides(base, env);
    } catch (error) {
      expect(isSupervisorError(error, 'CONFIG_INVALID')).toBe(true);
    }
  });
});
