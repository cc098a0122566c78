import { copyFile, mkdir, mkdtemp, readdir, readFile, rm, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { type ClientId, clientConfigLocations } from '../../../supervisor/mcp-clients/index.ts';
import { type HomePaths, resolveHome } from '../../../supervisor/shared/home.ts';

export const FIXTURES = path.join(path.dirname(fileURLToPath(import.meta.url)), 'fixtures');

/** A temp machine: a user home with client config files, a supervisor home, a project folder. */
export interface Sandbox {
  root: string;
  userHome: string;
  project: string;
  paths: HomePaths;
  env: NodeJS.ProcessEnv;
  /** Copies a fixture to where `client` keeps its user (or project) file on Linux; returns the path. */
  place(client: ClientId, fixture: string, options?: { project?: boolean }): Promise<string>;
  /** Every file under the sandbox with its text, to prove that nothing was written. */
  snapshot(): Promise<Record<string, string>>;
  cleanup(): Promise<void>;
}

export async function sandbox(extraEnv: NodeJS.ProcessEnv = {}): Promise<Sandbox> {
  const root = await mkdtemp(path.join(os.tmpdir(), 'mcps-clients-'));
  const userHome = path.join(root, 'home');
  const project = path.join(root, 'project');
  await mkdir(userHome, { recursive: true });
  await mkdir(project, { recursive: true });
  const paths = resolveHome({ home: path.join(root, 'sup'), env: {} });
  await mkdir(paths.root, { recursive: true });
  const env: NodeJS.ProcessEnv = { HOME: userHome, ...extraEnv };
  const snapshot = async () => {
    const out: Record<string, string> = {};
    const walk = async (dir: string) => {
      for (const entry of await readdir(dir, { withFileTypes: true })) {
        const file = path.join(dir, entry.name);
        if (entry.isDirectory()) await walk(file);
        else out[path.relative(root, file)] = await readFile(file, 'utf8');
      }
    };
    await walk(root);
    return out;
  };
  return {
    root,
    userHome,
    project,
    paths,
    env,
    async place(client, fixture, options = {}) {
      const locations = clientConfigLocations(client, 'linux', env, { projectDir: project });
      const target = locations.find((l) => l.scope === (options.project ? 'project' : 'user'));
      if (!target) throw new Error(`${client} has no ${options.project ? 'project' : 'user'} file`);
      await mkdir(path.dirname(target.file), { recursive: true });
      await copyFile(path.join(FIXTURES, fixture), target.file);
      return target.file;
    },
    snapshot,
    cleanup: () => rm(root, { recursive: true, force: true }),
  };
}

export async function writeText(file: string, text: string): Promise<void> {
  await mkdir(path.dirname(file), { recursive: true });
  await writeFile(file, text);
}

/** The error a promise rejects with; fails when it resolves. */
export async function errorOf(promise: Promise<unknown>): Promise<{ code: string; message: string }> {
  try {
    await promise;
  } catch (error) {
    return error as { code: string; message: string };
  }
  throw new Error('expected an error');
}
