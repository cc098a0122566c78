/** Whether `value` is a JSON object: not null, not an array (what a JSON-RPC message, its params or a config entry must be). */
export function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}
