/**
 * The app's own preferences, kept across restarts in `settings.json` under Electron's userData
 * folder: read once at start, written atomically (temp file + rename, mode 0600) on each change,
 * so a crash mid-write never leaves a half file.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, readFile, rename, rm, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { app } from 'electron';
import { z } from 'zod';
import { errorMessage } from '../supervisor/shared/errors.ts';
import { type AppLog, silentLog } from './app-log.ts';

const settingsSchema = z.object({
  isNotificationsPaused: z.boolean().default(false),
  isStartAtLogin: z.boolean().default(false),
});
export type AppSettings = z.infer<typeof settingsSchema>;

export const DEFAULT_SETTINGS: AppSettings = settingsSchema.parse({});

export class SettingsStore {
  readonly file: string;
  readonly #log: AppLog;
  #settings: AppSettings = { ...DEFAULT_SETTINGS };
  /** Writes are chained so two quick toggles land in order. */
  #writing: Promise<void> = Promise.resolve();

  constructor(options: { directory: string; log?: AppLog }) {
    this.file = path.join(options.directory, 'settings.json');
    this.#log = options.log ?? silentLog;
  }

  get(): Readonly<AppSettings> {
    return this.#settings;
  }

  /**
   * Reads the file. A missing file gives the defaults; an unreadable or invalid one too, with a
   * warning naming the file (the next change rewrites it whole).
   */
  async load(): Promise<Readonly<AppSettings>> {
    let text: string;
    try {
      text = await readFile(this.file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') {
        this.#log.warn(`cannot read ${this.file}, using the defaults: ${errorMessage(error)}`);
      }
      return this.#settings;
    }
    try {
      const parsed = settingsSchema.safeParse(JSON.parse(text));
      if (parsed.success) this.#settings = parsed.data;
      else this.#log.warn(`${this.file} is invalid (${parsed.error.issues[0]?.message}); using the defaults`);
    } catch (error) {
      this.#log.warn(`${this.file} is not JSON (${errorMessage(error)}); using the defaults`);
    }
    return this.#settings;
  }

  /** Applies `patch` at once (the menu shows it) and resolves when it is on disk. */
  update(patch: Partial<AppSettings>): Promise<void> {
    this.#settings = settingsSchema.parse({ ...this.#settings, ...patch });
    const snapshot = this.#settings;
    const write = () => this.#write(snapshot);
    this.#writing = this.#writing.then(write, write);
    return this.#writing;
  }

  /** Resolves when every change made so far is on disk (whether or not its write failed). */
  flush(): Promise<void> {
    return this.#writing.catch(() => {});
  }

  async #write(settings: AppSettings): Promise<void> {
    await mkdir(path.dirname(this.file), { recursive: true, mode: 0o700 });
    const temp = `${this.file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    try {
      await writeFile(temp, `${JSON.stringify(settings, null, 2)}\n`, { mode: 0o600 });
      await rename(temp, this.file);
    } catch (error) {
      await rm(temp, { force: true });
      throw error;
    }
  }
}

/** The settings of this app, loaded from Electron's userData folder. */
export async function setupSettings(log: AppLog): Promise<SettingsStore> {
  const settings = new SettingsStore({ directory: app.getPath('userData'), log });
  await settings.load();
  return settings;
}

export interface LoginItem {
  /** `app.setLoginItemSettings` works on macOS and Windows only. */
  readonly isSupported: boolean;
  set(openAtLogin: boolean): void;
}

/**
 * Start at login, through Electron's login items. Where the OS reports its own setting, that wins
 * at startup: a user who removed the app in System Settings is not overridden by a stale file.
 */
export function setupLoginItem(settings: SettingsStore, platform: NodeJS.Platform, log: AppLog): LoginItem {
  const isSupported = platform === 'darwin' || platform === 'win32';
  if (isSupported) {
    const { openAtLogin } = app.getLoginItemSettings();
    if (openAtLogin !== settings.get().isStartAtLogin) {
      settings.update({ isStartAtLogin: openAtLogin }).catch((error: unknown) => {
        log.warn(`cannot save ${settings.file}: ${errorMessage(error)}`);
      });
    }
  }
  return { isSupported, set: (openAtLogin) => app.setLoginItemSettings({ openAtLogin }) };
}
