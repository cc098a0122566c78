import { isSupervisorError } from '../shared/errors.ts';
import type { HomePaths } from '../shared/home.ts';
import type { RecordedData } from './offline.ts';

/**
 * Runs `online` against the running supervisor; when none runs for the home (NOT_RUNNING), tells
 * `onOffline` why the answer comes from the records, and runs `offline` on them instead.
 */
export async function onlineOrRecorded<T>(
  paths: HomePaths,
  online: () => Promise<T>,
  offline: (data: RecordedData) => Promise<T> | T,
  onOffline: (note: string) => void,
): Promise<T> {
  try {
    return await online();
  } catch (error) {
    if (!isSupervisorError(error, 'NOT_RUNNING')) throw error;
  }
  onOffline(
    `the supervisor of home ${paths.root} is stopped; showing what it recorded (start it with: mcp-supervisor start --home ${paths.root})`,
  );
  // The records' readers (the database, the config schema, the log tails) are loaded only here,
  // when no supervisor answers: the commands that use this stay light when one does.
  const { openRecorded } = await import('./offline.ts');
  const data = openRecorded(paths);
  try {
    return await offline(data);
  } finally {
    data.close();
  }
}
