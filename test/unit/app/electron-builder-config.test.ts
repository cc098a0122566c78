/**
 * electron-builder cannot run here (it downloads Electron): this validates electron-builder.yml
 * with electron-builder's own loader and JSON schema, then checks what the product needs of it.
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ROOT } from '../../helpers/paths.ts';

// Resolved from electron-builder itself, so the test uses the config code of the installed version.
const require = createRequire(createRequire(import.meta.url).resolve('electron-builder'));
const { getConfig, validateConfiguration } = require('app-builder-lib/out/util/config/config.js') as {
  getConfig(projectDir: string, configPath: string | null, options: null): Promise<BuilderConfig>;
  validateConfiguration(config: unknown, debug: { isEnabled: boolean; add(): void }): Promise<void>;
};

interface TargetConfig {
  target: string;
  arch?: string[];
}
interface FileSet {
  from?: string;
  to?: string;
  filter?: string[];
}
interface BuilderConfig {
  appId: string;
  files: FileSet[];
  extraMetadata: { main: string };
  npmRebuild: boolean;
  asarUnpack: string[];
  mac: { target: TargetConfig[]; icon: string; extendInfo: Record<string, unknown> };
  win: { target: TargetConfig[]; icon: string };
  linux: { target: string[]; icon: string };
}

const quiet = { isEnabled: false, add() {} };
const load = () => getConfig(ROOT, null, null);

describe('electron-builder.yml', () => {
  it("passes electron-builder's own schema", async () => {
    await expect(validateConfiguration(await load(), quiet)).resolves.toBeUndefined();
  });

  it('would be caught by that schema if it were wrong', async () => {
    const broken = structuredClone(await load()) as unknown as Record<string, unknown>;
    (broken.mac as Record<string, unknown>).targte = 'dmg';
    await expect(validateConfiguration(broken, quiet)).rejects.toThrow(
      /Invalid configuration object[\s\S]*configuration\.mac/,
    );
  });

  it('builds a universal dmg, an nsis installer, an AppImage and a deb', async () => {
    const config = await load();
    expect(config.mac.target).toEqual([{ target: 'dmg', arch: ['universal'] }]);
    expect(config.win.target.map((t) => t.target)).toEqual(['nsis']);
    expect(config.linux.target).toEqual(['AppImage', 'deb']);
    expect(config.mac.extendInfo.LSUIElement).toBe(true);
    for (const icon of [config.mac.icon, config.win.icon, config.linux.icon]) {
      expect(existsSync(path.join(ROOT, icon)), icon).toBe(true);
    }
  });

  it('rebuilds better-sqlite3 for Electron and unpacks what other processes open by path', async () => {
    const config = await load();
    expect(config.npmRebuild).toBe(true);
    for (const pattern of [
      'node_modules/better-sqlite3/**',
      'node_modules/pm2/**',
      'dist/supervisor/process/**',
    ]) {
      expect(config.asarUnpack).toContain(pattern);
    }
  });

  it("ships the app's files: the compiled code, the tray images, the console and package.json", async () => {
    const config = await load();
    const [main] = config.files;
    expect(main?.filter).toEqual(
      expect.arrayContaining([
        'dist/**',
        'resources/**',
        'package.json',
        '!dist/app/build-preload.js',
        '!dist/app/tray-images.js',
      ]),
    );
    expect(config.files).toContainEqual({ from: 'renderer', to: 'dist/renderer' });
    expect(config.files).toContainEqual({ to: 'dist', filter: ['package.json'] });
    expect(config.extraMetadata.main).toBe('dist/app/main.js');
    // The entry points main.ts names exist as sources; `npm run build` compiles them under dist/.
    for (const source of ['app/main.ts', 'app/supervisor-entry.ts', 'app/preload.ts']) {
      expect(existsSync(path.join(ROOT, source)), source).toBe(true);
    }
  });
});
