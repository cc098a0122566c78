import { mkdtemp, readFile, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import vm from 'node:vm';
import { describe, expect, it } from 'vitest';
import { bundlePreload } from '../../../app/build-preload.ts';

describe('preload bundle', () => {
  it('is one CommonJS file that requires only electron, as a sandboxed preload must be', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'mcps-preload-'));
    try {
      const file = path.join(dir, 'preload.cjs');
      await bundlePreload(file);
      const code = await readFile(file, 'utf8');
      expect([...code.matchAll(/require\(["']([^"']+)["']\)/g)].map((m) => m[1])).toEqual(['electron']);
      expect(code).not.toMatch(/^\s*(import|export)\s/m);
      // The contract's channel is inlined, and zod (main-side validation) is not dragged in.
      expect(code).toContain('mcp-supervisor:connection');
      expect(code.length).toBeLessThan(5_000);

      // Run it as Electron's sandbox does: a CommonJS function with a `require` that knows electron.
      const exposed: Record<string, unknown> = {};
      const invoked: unknown[][] = [];
      const electron = {
        contextBridge: { exposeInMainWorld: (key: string, api: unknown) => (exposed[key] = api) },
        ipcRenderer: { invoke: async (...args: unknown[]) => invoked.push(args) },
      };
      const module = { exports: {} };
      vm.runInNewContext(code, {
        module,
        exports: module.exports,
        require: (name: string) => {
          if (name !== 'electron') throw new Error(`a sandboxed preload cannot require ${name}`);
          return electron;
        },
      });
      const bridge = exposed.mcpSupervisor as { connection(): Promise<unknown> };
      await bridge.connection();
      expect(invoked).toEqual([['mcp-supervisor:connection']]);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
