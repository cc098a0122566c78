/**
 * Opt-in capture of request payloads (arguments and results) for the request log (pure, no IO).
 * A captured payload is redacted first and bounded after: values under secret-looking keys are
 * replaced, then the JSON is cut at `maxBytes` (UTF-8) with a note of how much was left out.
 */
export interface CaptureOptions {
  /** Longest stored JSON per payload, in UTF-8 bytes. */
  maxBytes: number;
  /** Key names (case-insensitive, exact) redacted besides the built-in secret names. */
  redactKeys?: readonly string[];
}

export const REDACTED = '[redacted]';

/** Keys whose values are secrets wherever they appear (`apiKey`, `x-api-key`, `Authorization`…). */
const SECRET_KEY =
  /(pass(word|wd)?|secret|token|api[-_]?key|authorization|cookie|credential|private[-_]?key|session)/i;

/** Depth past which nested values are summarised (a payload is data, not a recursion test). */
const MAX_DEPTH = 32;

function redact(value: unknown, extra: ReadonlySet<string>, depth: number): unknown {
  if (value === null || typeof value !== 'object') return value;
  if (depth >= MAX_DEPTH) return '[nested too deep]';
  if (Array.isArray(value)) return value.map((item) => redact(item, extra, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [key, item] of Object.entries(value)) {
    out[key] =
      SECRET_KEY.test(key) || extra.has(key.toLowerCase()) ? REDACTED : redact(item, extra, depth + 1);
  }
  return out;
}

/**
 * The stored form of a payload: redacted JSON, at most `maxBytes` bytes (then ending with
 * `…[truncated N bytes]`), or null when there is nothing (undefined). A value JSON cannot encode
 * (a cycle, a BigInt) is stored as a note, never thrown.
 */
export function capturePayload(value: unknown, options: CaptureOptions): string | null {
  if (value === undefined) return null;
  const extra = new Set((options.redactKeys ?? []).map((key) => key.toLowerCase()));
  let text: string;
  try {
    text = JSON.stringify(redact(value, extra, 0)) ?? 'null';
  } catch (error) {
    return JSON.stringify(`[not capturable: ${(error as Error).message}]`);
  }
  const bytes = Buffer.byteLength(text);
  if (bytes <= options.maxBytes) return text;
  // Cut on a character boundary: decoding a byte-cut buffer drops a half character at the end.
  const kept = Buffer.from(text)
    .subarray(0, options.maxBytes)
    .toString('utf8')
    .replace(/\uFFFD$/, '');
  return `${kept}…[truncated ${bytes - Buffer.byteLength(kept)} bytes]`;
}
