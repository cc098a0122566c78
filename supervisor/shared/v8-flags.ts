/**
 * V8 flags of the long-running supervisor process: V8 reads its heap limits once, when the isolate
 * is created, so they must be on the command line (`v8.setFlagsFromString` is too late). `start -d`
 * spawns the supervisor with them; a foreground `start` runs without them (re-executing itself with
 * `process.execve` made the SIGKILL-recovery test time out, cause not found yet).
 *
 * `--max-semi-space-size`: V8 grows the young generation with the allocation rate, up to 64 MiB
 * per semi-space on a 64-bit Node 24 (128 MiB of new space), and never gives it back. The
 * supervisor's young objects are a request's worth of buffers and promises, short-lived: measured
 * with 10 servers, the new space was 32 MiB at idle and 128 MiB after the gateway bench's rounds,
 * most of the growth from 120 to 280 MiB RSS. A small cap keeps it flat.
 *
 * `--memory-saver-mode`: V8's heuristics for a background tab (old generation grown in small
 * steps, memory-reducing full GCs). With the cap alone the old space filled with promoted
 * garbage under load (heap total 30 -> 60 MiB; 20 000 calls, 10 servers, MALLOC_ARENA_MAX=2: RSS
 * 100 -> 123 MiB); with it the heap stayed at 31 MiB and RSS went 96 -> 107 MiB. It costs CPU in
 * the GC: the memory bench's rounds report the gateway's rate with it.
 */
export const SUPERVISOR_V8_FLAGS: readonly string[] = ['--max-semi-space-size=2', '--memory-saver-mode'];

/**
 * glibc malloc settings of the supervisor, read once when the process starts (so they travel with
 * the V8 flags). `MALLOC_ARENA_MAX`: glibc gives each thread that mallocs (V8's GC and compiler
 * workers, libuv's pool) an arena of its own, up to 8 per core, and an arena keeps what it once
 * held; 2 arenas measured ~8 MiB less RSS after the gateway rounds with 10 servers. Servers never
 * inherit it (process/server-env.ts), the PM2 daemon does, to the same effect.
 */
export const SUPERVISOR_MALLOC_ENV: Readonly<Record<string, string>> = { MALLOC_ARENA_MAX: '2' };

const flagName = (flag: string) => flag.split('=')[0] as string;

/**
 * The flags of {@link SUPERVISOR_V8_FLAGS} that neither `execArgv` nor `nodeOptions` set (a flag
 * given there, with any value, is the user's choice and wins).
 */
export function missingV8Flags(
  execArgv: readonly string[] = process.execArgv,
  nodeOptions: string = process.env.NODE_OPTIONS ?? '',
): string[] {
  const given = new Set([...execArgv, ...nodeOptions.split(/\s+/)].map(flagName));
  return SUPERVISOR_V8_FLAGS.filter((flag) => !given.has(flagName(flag)));
}

/** The variables of {@link SUPERVISOR_MALLOC_ENV} that `env` does not set (a set one wins). */
export function missingMallocEnv(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  return Object.fromEntries(
    Object.entries(SUPERVISOR_MALLOC_ENV).filter(([name]) => env[name] === undefined),
  );
}
