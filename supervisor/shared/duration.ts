const UNIT_MS = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/**
 * `90s`, `15m`, `1h`, `7d` → ms, or `undefined` for anything else. Shared by the control API's
 * query parsing and the console, which word their own errors.
 */
export function durationUnitsMs(text: string): number | undefined {
  const match = /^(\d+)(s|m|h|d)$/.exec(text);
  return match ? Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS] : undefined;
}
