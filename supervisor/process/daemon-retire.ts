import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { setTimeout as delay } from 'node:timers/promises';
import { isProcessAlive } from '../shared/process-alive.ts';
import { closeClient, type Pm2Api, type Pm2Calls, type Pm2ProcessDescription } from './pm2-api.ts';
import { terminateGroup } from './process-group.ts';

/**
 * Retires a PM2 daemon that an earlier run left in the home (its supervisor died, so no lifeline
 * would end it): every process's whole group is stopped, the daemon is killed, and this waits (at
 * most `exitMs`) until its pid is gone. `api` is a client connected to it, closed here.
 *
 * @returns the names of the processes it ran.
 */
export async function retireDaemon(
  api: Pm2Api,
  options: { pm2Home: string; calls: Pm2Calls; callMs: number; exitMs: number },
): Promise<string[]> {
  const { calls, callMs } = options;
  const daemonPid = await readDaemonPid(options.pm2Home);
  let names: string[] = [];
  try {
    const list = await calls.call<Pm2ProcessDescription[]>('list processes', callMs, (cb) => api.list(cb));
    names = [...new Set(list.map((p) => p.name ?? ''))];
    await Promise.all(list.map((p) => (p.pid ? terminateGroup(p.pid, { killTimeoutMs: 5_000 }) : undefined)));
    await calls.call<void>('kill the PM2 daemon', callMs, (cb) => api.killDaemon((error) => cb(error)));
  } finally {
    closeClient(api);
  }
  if (daemonPid !== undefined) {
    const deadline = Date.now() + options.exitMs;
    while (isProcessAlive(daemonPid) && Date.now() < deadline) await delay(50);
  }
  return names;
}

async function readDaemonPid(pm2Home: string): Promise<number | undefined> {
  const text = await readFile(path.join(pm2Home, 'pm2.pid'), 'utf8').catch(() => '');
  const pid = Number(text.trim());
  return Number.isInteger(pid) && pid > 1 ? pid : undefined;
}
