import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../../supervisor/config/parse.ts';
import type { ServerRuntime } from '../../../supervisor/core/server-runtime.ts';
import { Forwarder } from '../../../supervisor/limits/forwarder.ts';
import { ServerGuards } from '../../../supervisor/limits/guards.ts';
import { rejectionOf } from './helpers.ts';

// A request the forwarder never sent (the server has no connection yet: it is starting, or
// restarting) says nothing about the server's health; it must not count toward the breaker, or
// the calls of a client that arrives in a server's start-up window open the circuit for every
// client for 30 s (seen in the gateway bench: 5 early refusals, then 36 009 circuit_open).

const guardsToDispose: ServerGuards[] = [];
afterEach(async () => {
  for (const guards of guardsToDispose.splice(0)) await guards.dispose();
});

const config = parseConfig('{ "mcpServers": { "early": { "command": "node" } } }');

function notConnected(name: string): ServerRuntime {
  return {
    name,
    state: 'starting',
    config: config.mcpServers[name],
    upstream: { channel: undefined },
  } as unknown as ServerRuntime;
}

describe('Forwarder', () => {
  it('refuses calls to a server without a connection as server_unavailable, without opening its circuit', async () => {
    const guards = new ServerGuards({ settings: config.supervisor });
    guardsToDispose.push(guards);
    const forwarder = new Forwarder({ guards });
    const runtime = notConnected('early');
    for (let call = 0; call < 20; call++) {
      const error = await rejectionOf(
        forwarder.forward(runtime, 'tools/list', undefined, {
          clientKey: `key-${call % 3}`,
          signal: AbortSignal.timeout(5_000),
        }),
      );
      expect(error).toMatchObject({ code: 'SERVER_UNAVAILABLE' });
    }
    expect(guards.stats('early')?.breaker ?? 'closed').toBe('closed');
  });
});
