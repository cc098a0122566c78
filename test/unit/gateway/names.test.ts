import { describe, expect, it } from 'vitest';
import {
  isToolAllowed,
  NAME_SEPARATOR,
  qualify,
  sanitizeName,
  unqualify,
} from '../../../supervisor/gateway/names.ts';

describe('qualify / unqualify', () => {
  it('joins server and name with "__"', () => {
    expect(NAME_SEPARATOR).toBe('__');
    expect(qualify('everything', 'echo')).toBe('everything__echo');
  });

  it.each([
    ['everything', 'echo'],
    ['my-server', 'get_env'],
    ['a', 'tool__with__separators'],
    ['s_1', '_leading'],
    ['x', ''],
  ])('round-trips server %s and tool %s', (server, name) => {
    expect(unqualify(qualify(server, name))).toEqual({ server, name });
  });

  it('splits at the first "__": server names never contain it, tool names may', () => {
    expect(unqualify('srv__a__b')).toEqual({ server: 'srv', name: 'a__b' });
  });

  it.each(['echo', '__echo', '', 'single_underscore'])('"%s" has no server prefix', (name) => {
    expect(unqualify(name)).toBeUndefined();
  });
});

describe('sanitizeName', () => {
  it('keeps [A-Za-z0-9_-] and replaces everything else with "-"', () => {
    expect(sanitizeName('get-env_2')).toBe('get-env_2');
    expect(sanitizeName('read.file/now ü')).toBe('read-file-now--');
    expect(sanitizeName('a:b')).toMatch(/^[A-Za-z0-9_-]+$/);
  });
});

describe('isToolAllowed', () => {
  it('allows everything without lists (or with empty ones)', () => {
    expect(isToolAllowed('anything', {})).toBe(true);
    expect(isToolAllowed('anything', { allow: [], deny: [] })).toBe(true);
  });

  it('an allow list admits only what it matches, exactly or by glob', () => {
    const filter = { allow: ['echo', 'get-*'] };
    expect(isToolAllowed('echo', filter)).toBe(true);
    expect(isToolAllowed('get-env', filter)).toBe(true);
    expect(isToolAllowed('get-', filter)).toBe(true);
    expect(isToolAllowed('echo2', filter)).toBe(false);
    expect(isToolAllowed('xget-env', filter)).toBe(false);
    expect(isToolAllowed('trigger-long-running-operation', filter)).toBe(false);
  });

  it('deny wins over allow', () => {
    const filter = { allow: ['get-*'], deny: ['get-env'] };
    expect(isToolAllowed('get-sum', filter)).toBe(true);
    expect(isToolAllowed('get-env', filter)).toBe(false);
  });

  it('a deny list alone removes only what it matches', () => {
    const filter = { deny: ['*delete*', 'drop'] };
    expect(isToolAllowed('delete_entities', filter)).toBe(false);
    expect(isToolAllowed('soft-delete-all', filter)).toBe(false);
    expect(isToolAllowed('drop', filter)).toBe(false);
    expect(isToolAllowed('dropped', filter)).toBe(true);
    expect(isToolAllowed('create', filter)).toBe(true);
  });

  it('globs: * matches any run (also empty); other characters are literal', () => {
    expect(isToolAllowed('a.b', { allow: ['a.b'] })).toBe(true);
    expect(isToolAllowed('axb', { allow: ['a.b'] })).toBe(false);
    expect(isToolAllowed('axb', { allow: ['a.*'] })).toBe(false);
    expect(isToolAllowed('a.x', { allow: ['a.*'] })).toBe(true);
    expect(isToolAllowed('(x)', { allow: ['(*)'] })).toBe(true);
    expect(isToolAllowed('x+y', { allow: ['x+*'] })).toBe(true);
    expect(isToolAllowed('xxy', { allow: ['x+*'] })).toBe(false);
    expect(isToolAllowed('anything', { allow: ['*'] })).toBe(true);
    expect(isToolAllowed('ab', { allow: ['a*b*'] })).toBe(true);
    expect(isToolAllowed('Echo', { allow: ['echo'] })).toBe(false);
  });
});
