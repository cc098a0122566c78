import { readFile, rename, rm, writeFile } from 'node:fs/promises';

/** Written by a running supervisor so the CLI and the app can find its control API. */
export interface SupervisorState {
  pid: number;
  host: string;
  port: number;
  startedAt: number;
  version: string;
}

export async function writeState(file: string, state: SupervisorState): Promise<void> {
  const temp = `${file}.${process.pid}.tmp`;
  await writeFile(temp, JSON.stringify(state, null, 2), { mode: 0o600 });
  await rename(temp, file);
}

export async function readState(file: string): Promise<SupervisorState | undefined> {
  try {
    const state = JSON.parse(await readFile(file, 'utf8')) as SupervisorState;
    return typeof state.pid === 'number' && typeof state.port === 'number' ? state : undefined;
  } catch {
    return undefined;
  }
}

export async function removeState(file: string, pid: number = process.pid): Promise<void> {
  const state = await readState(file);
  if (!state || state.pid === pid) await rm(file, { force: true });
}

export function isProcessAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}
