import { describe, expect, it } from 'vitest';
import type { ServerRuntime } from '../../../supervisor/core/server-runtime.ts';
import type { SupervisorCore } from '../../../supervisor/core/supervisor.ts';
import { ToolGate } from '../../../supervisor/gateway/tool-gate.ts';
import { silentLogger } from '../../../supervisor/shared/logger.ts';
import type { ProbeTarget } from '../../../supervisor/upstream/tool-probe.ts';

/** A 2025 stdio server whose gateway session (sampling + elicitation + roots) listed `tools`. */
function legacyRuntime(tools: string[]): ServerRuntime {
  return {
    name: 's',
    config: { command: 'server-cmd', args: [], env: {} },
    upstream: {
      state: 'ready',
      era: 'legacy',
      capabilities: { tools: {} },
      tools: tools.map((name) => ({ name })),
    },
  } as unknown as ServerRuntime;
}

const core = {
  paths: { root: '/tmp/home' },
  config: { supervisor: { env: {} } },
} as unknown as SupervisorCore;

/** A ToolGate whose probe sessions list `listFor(capabilities)`, recording each one opened. */
function gateWith(
  listFor: (capabilities: Record<string, unknown>) => string[],
  options: { notBefore?: Promise<unknown> } = {},
) {
  const probes: Record<string, unknown>[] = [];
  const gate = new ToolGate({
    core,
    logger: silentLogger,
    probeTimeoutMs: 1_000,
    ...options,
    probeToolNames: async (_target: ProbeTarget, capabilities: Record<string, unknown>) => {
      probes.push(capabilities);
      return listFor(capabilities);
    },
  });
  return { gate, probes };
}

describe('ToolGate (2025 servers: which tools need which client capability)', () => {
  it('opens one probe session, the plain one, when it lists every tool: nothing is gated', async () => {
    const { gate, probes } = gateWith(() => ['a', 'b']);
    const runtime = legacyRuntime(['a', 'b']);
    gate.learn(runtime);
    expect(await gate.visible(runtime, [{ name: 'a' }, { name: 'b' }], {})).toHaveLength(2);
    expect(probes).toEqual([{}]);
  });

  it('probes each gating capability when the plain session lists fewer tools, and filters by them', async () => {
    const { gate, probes } = gateWith((capabilities) => (capabilities.sampling ? ['a', 'sample'] : ['a']));
    const runtime = legacyRuntime(['a', 'sample']);
    gate.learn(runtime);
    const tools = [{ name: 'a' }, { name: 'sample' }];
    expect((await gate.visible(runtime, tools, {})).map((t) => t.name)).toEqual(['a']);
    expect((await gate.visible(runtime, tools, { sampling: {} })).map((t) => t.name)).toEqual([
      'a',
      'sample',
    ]);
    expect(probes).toHaveLength(4);
    expect(probes[0]).toEqual({});
  });

  it('begins no probe before the start window ends, and a list asked for meanwhile waits for it', async () => {
    let endStart!: () => void;
    const notBefore = new Promise<void>((resolve) => {
      endStart = resolve;
    });
    const { gate, probes } = gateWith((capabilities) => (capabilities.sampling ? ['a', 'sample'] : ['a']), {
      notBefore,
    });
    const runtime = legacyRuntime(['a', 'sample']);
    gate.learn(runtime);
    const listed = gate.visible(runtime, [{ name: 'a' }, { name: 'sample' }], {});
    await new Promise((resolve) => setTimeout(resolve, 50));
    expect(probes).toEqual([]);
    endStart();
    expect((await listed).map((t) => t.name)).toEqual(['a']);
    expect(probes).toHaveLength(4);
  });

  it('closes at once while the start window is open, and begins no probe after', async () => {
    const { gate, probes } = gateWith(() => ['a'], { notBefore: new Promise(() => {}) });
    gate.learn(legacyRuntime(['a']));
    await gate.close();
    expect(probes).toEqual([]);
  });
});
