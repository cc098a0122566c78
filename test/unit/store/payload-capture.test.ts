import { describe, expect, it } from 'vitest';
import { capturePayload, REDACTED } from '../../../supervisor/store/payload-capture.ts';

describe('payload capture', () => {
  it('redacts secret-looking keys at any depth, and the configured ones', () => {
    const text = capturePayload(
      {
        name: 'login',
        arguments: {
          user: 'ann',
          password: 'hunter2',
          nested: [{ apiKey: 'k', 'x-api-key': 'k2', ok: 1 }],
          pin: '1234',
        },
        headers: { Authorization: 'Bearer x', Cookie: 'c' },
      },
      { maxBytes: 10_000, redactKeys: ['PIN'] },
    );
    expect(JSON.parse(text ?? '')).toEqual({
      name: 'login',
      arguments: {
        user: 'ann',
        password: REDACTED,
        nested: [{ apiKey: REDACTED, 'x-api-key': REDACTED, ok: 1 }],
        pin: REDACTED,
      },
      headers: { Authorization: REDACTED, Cookie: REDACTED },
    });
  });

  it('bounds the stored bytes and says how much it left out, cutting on a character boundary', () => {
    const text = capturePayload({ text: 'é'.repeat(1_000) }, { maxBytes: 101 }) ?? '';
    expect(text).toMatch(/…\[truncated \d+ bytes\]$/);
    const kept = text.slice(0, text.indexOf('…'));
    expect(Buffer.byteLength(kept)).toBeLessThanOrEqual(101);
    expect(kept).not.toContain('\uFFFD');
    const left = Number(/truncated (\d+) bytes/.exec(text)?.[1]);
    expect(Buffer.byteLength(kept) + left).toBe(
      Buffer.byteLength(JSON.stringify({ text: 'é'.repeat(1_000) })),
    );
  });

  it('stores nothing for no payload and a note for what JSON cannot hold', () => {
    expect(capturePayload(undefined, { maxBytes: 10 })).toBeNull();
    expect(capturePayload({ a: 1 }, { maxBytes: 100 })).toBe('{"a":1}');
    expect(capturePayload({ big: 1n }, { maxBytes: 100 })).toMatch(/not capturable/);
  });
});
