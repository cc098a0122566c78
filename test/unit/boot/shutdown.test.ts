import { describe, expect, it, vi } from 'vitest';
import { Shutdown } from '../../../supervisor/boot/shutdown.ts';
import { silentLogger } from '../../../supervisor/shared/logger.ts';

describe('Shutdown', () => {
  it('undoes the steps in reverse start order, once, past a step that throws', async () => {
    const shutdown = new Shutdown({ logger: silentLogger, deadlineMs: 5_000 });
    const order: string[] = [];
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    shutdown.add('log', () => void order.push('log'));
    shutdown.add('database', async () => {
      order.push('database');
    });
    shutdown.add('servers', () => {
      order.push('servers');
      throw new Error('pm2 is gone');
    });
    shutdown.add('listener', () => void order.push('listener'));
    const first = shutdown.stop('test');
    expect(shutdown.stop('again')).toBe(first);
    await first;
    await shutdown.stopped;
    expect(order).toEqual(['listener', 'servers', 'database', 'log']);
    expect(stderr).toHaveBeenCalledWith('mcp-supervisor: stopping servers failed: pm2 is gone\n');
    stderr.mockRestore();
  });

  it('resolves `stopped` at the deadline when a step hangs', async () => {
    const shutdown = new Shutdown({ logger: silentLogger, deadlineMs: 50 });
    shutdown.add('hangs', () => new Promise<void>(() => {}));
    void shutdown.stop('test');
    const outcome = await Promise.race([
      shutdown.stopped.then(() => 'stopped'),
      new Promise((resolve) => setTimeout(() => resolve('still waiting'), 2_000)),
    ]);
    expect(outcome).toBe('stopped');
  });
});
