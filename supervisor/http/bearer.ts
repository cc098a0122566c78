import { timingSafeEqual } from 'node:crypto';

/** Compares a presented bearer token with the expected one in constant time. */
export function isTokenValid(presented: string | undefined, expected: string): boolean {
  // Tokens of another length never match (timingSafeEqual needs equal lengths, so the length was
  // never secret); checked first so a client key compared with the control token allocates nothing.
  if (!presented || presented.length !== expected.length) return false;
  const a = Buffer.from(presented);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The token of an `Authorization: Bearer <token>` header; undefined for any other header. */
export function bearerToken(header: string | undefined): string | undefined {
  const match = header ? /^Bearer\s+(\S+)$/i.exec(header) : null;
  return match?.[1];
}
