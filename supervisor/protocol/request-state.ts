/**
 * The gateway's MRTR `requestState`: an opaque, integrity-protected token naming a parked round.
 *
 * basic/patterns/mrtr, server requirements 4–5: state round-trips through the client and is
 * attacker-controlled, so it is HMAC-SHA256 signed and carries the principal it was minted for,
 * a short expiry and a digest of the originating request (method + params), all verified on
 * retry. Single use is enforced by the MRTR machine (a round is consumed once).
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export interface RequestStateClaims {
  /** The parked flight this state resumes. */
  flight: string;
  /** The round within the flight (a stale round's state is refused). */
  round: number;
  /** Who may resume it: the client key id (or session id) of the request that parked it. */
  principal: string;
  /** Expiry, epoch ms. */
  expiresAt: number;
  /** {@link requestDigest} of the originating request. */
  digest: string;
}

export type VerifyOutcome =
  | { ok: true; claims: RequestStateClaims }
  | { ok: false; reason: 'malformed' | 'signature' | 'expired' | 'principal' | 'request' };

export class RequestStateCodec {
  readonly #key: Buffer;

  /** `key`: at least 32 random bytes, private to this gateway process. */
  constructor(key: Buffer) {
    if (key.length < 32)
      throw new RangeError(`RequestStateCodec key: expected ≥ 32 bytes, got ${key.length}`);
    this.#key = key;
  }

  mint(claims: RequestStateClaims): string {
    const payload = Buffer.from(JSON.stringify(claims)).toString('base64url');
    return `${payload}.${this.#sign(payload)}`;
  }

  /** Verifies a token presented by `principal` on a retry of `method` with `params` at `nowMs`. */
  verify(token: string, expected: { principal: string; digest: string; nowMs: number }): VerifyOutcome {
    const dot = token.indexOf('.');
    if (dot <= 0) return { ok: false, reason: 'malformed' };
    const payload = token.slice(0, dot);
    const given = Buffer.from(token.slice(dot + 1), 'base64url');
    const wanted = Buffer.from(this.#sign(payload), 'base64url');
    if (given.length !== wanted.length || !timingSafeEqual(given, wanted))
      return { ok: false, reason: 'signature' };
    let claims: RequestStateClaims;
    try {
      claims = JSON.parse(Buffer.from(payload, 'base64url').toString('utf8')) as RequestStateClaims;
    } catch {
      return { ok: false, reason: 'malformed' };
    }
    if (claims.expiresAt <= expected.nowMs) return { ok: false, reason: 'expired' };
    if (claims.principal !== expected.principal) return { ok: false, reason: 'principal' };
    if (claims.digest !== expected.digest) return { ok: false, reason: 'request' };
    return { ok: true, claims };
  }

  #sign(payload: string): string {
    return createHmac('sha256', this.#key).update(payload).digest('base64url');
  }
}

/**
 * A digest of what makes two requests "the same request" for MRTR: the method and its params
 * without `_meta`, `inputResponses` and `requestState` (those differ between a request and its
 * retry by design), with object keys in a canonical order.
 */
export function requestDigest(method: string, params: Record<string, unknown> | undefined): string {
  const { _meta, inputResponses, requestState, ...rest } = params ?? {};
  return createHash('sha256').update(method).update('\n').update(canonicalJson(rest)).digest('base64url');
}

function canonicalJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  if (value !== null && typeof value === 'object') {
    const entries = Object.entries(value as Record<string, unknown>)
      .filter(([, v]) => v !== undefined)
      .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
    return `{${entries.map(([k, v]) => `${JSON.stringify(k)}:${canonicalJson(v)}`).join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}
