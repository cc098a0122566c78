/**
 * The app's view of its supervisor, produced by `SupervisorProcess` and shown by the tray:
 * - `starting`: the app started one and waits for it to answer;
 * - `running`: one answers at `origin` (started by this app when `isOwned`, else by the CLI);
 * - `down`: none answers, with the reason a user can act on. `isFailure` tells a start or run that
 *   failed (port in use, crashed) from one that is simply not running (stopped from the CLI);
 *   `canStart` is false while another live process holds the home; `logFile` is where its
 *   output went, when the app started it.
 * - `stopping`: the app is quitting and waits for the clean stop of the one it started.
 */
export type SupervisorView =
  | { phase: 'starting' }
  | { phase: 'running'; isOwned: boolean; origin: string; pid: number }
  | { phase: 'down'; reason: string; isFailure: boolean; canStart: boolean; logFile?: string }
  | { phase: 'stopping' };
