import { describe, expect, it } from 'vitest';
import { bearerToken, isTokenValid } from '../../../supervisor/http/bearer.ts';

describe('bearer tokens', () => {
  it('parses only a well-formed Bearer header', () => {
    expect(bearerToken('Bearer abc')).toBe('abc');
    expect(bearerToken('bearer  abc')).toBe('abc');
    expect(bearerToken('Basic abc')).toBeUndefined();
    expect(bearerToken('Bearer a b')).toBeUndefined();
    expect(bearerToken(undefined)).toBeUndefined();
  });

  it('compares tokens of any length without throwing', () => {
    expect(isTokenValid('secret', 'secret')).toBe(true);
    expect(isTokenValid('secret-but-longer', 'secret')).toBe(false);
    expect(isTokenValid(undefined, 'secret')).toBe(false);
  });
});
