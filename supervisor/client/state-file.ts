import { readFile, rename, rm, writeFile } from 'node:fs/promises';
import { isProcessAlive } from '../shared/process-alive.ts';

/**
 * Written by the supervisor that holds a home (see `home-lock.ts`) so the CLI and the app can find
 * it: from the instant it claims the home (`phase: 'starting'`, `port: 0`), then with its port once
 * the control API listens, then `running` once every server's start has begun.
 */
export interface SupervisorState {
  pid: number;
  /** Absent in files of older versions: read it as `running`. */
  phase?: SupervisorPhase;
  host: string;
  /** 0 until the control API listens. */
  port: number;
  startedAt: number;
  version: string;
  /**
   * Set by a `start -d` handing the home to the supervisor it launched (`pid` is that one's): until
   * this epoch ms, a start that takes the home's lock lets go of it, as the home is not free but
   * changing hands.
   */
  handoffUntil?: number;
}

/** Whether `state` names a live supervisor a `start -d` is handing the home to, now. */
export function isHandingOver(state: SupervisorState | undefined): state is SupervisorState {
  return state !== undefined && (state.handoffUntil ?? 0) > Date.now() && isProcessAlive(state.pid);
}

/** `starting`: claimed the home, servers not all launched yet; `running`; `stopping`. */
export type SupervisorPhase = 'starting' | 'running' | 'stopping';

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

export { isProcessAlive } from '../shared/process-alive.ts';
