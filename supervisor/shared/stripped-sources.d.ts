/** Types of stripped-sources.js (plain JavaScript: it must load before any type stripping). */

/**
 * The JavaScript of one `.ts` file under `supervisor/`, stripped of its types: from the cache, after
 * filling it in a child process on a miss; undefined when the cache cannot be filled.
 */
export function strippedSource(file: string, source?: string): string | undefined;

/** Serves `supervisor/**.ts` from the stripped cache for the rest of this process; false if unsupported. */
export function installStrippedSources(): boolean;
