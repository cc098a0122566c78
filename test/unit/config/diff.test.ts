import { describe, expect, it } from 'vitest';
import { diffConfigs, isEmptyDiff } from '../../../supervisor/config/diff.ts';
import { parseConfig } from '../../../supervisor/config/parse.ts';

const config = (mcpServers: Record<string, unknown>, supervisor: Record<string, unknown> = {}) =>
  parseConfig(JSON.stringify({ mcpServers, supervisor }));

describe('diffConfigs', () => {
  it('sorts servers into added, removed, changed and unchanged', () => {
    const before = config({ a: { command: 'a' }, b: { command: 'b' }, c: { command: 'c' } });
    const after = config({ b: { command: 'b' }, c: { command: 'c', args: ['-v'] }, d: { command: 'd' } });
    const diff = diffConfigs(before, after);
    expect(diff).toEqual({
      added: ['d'],
      removed: ['a'],
      changed: ['c'],
      unchanged: ['b'],
      supervisorChanged: false,
    });
    expect(isEmptyDiff(diff)).toBe(false);
  });

  it('treats a disabled server as absent: disabling stops it, enabling starts it', () => {
    const on = config({ a: { command: 'a' } });
    const off = config({ a: { command: 'a', disabled: true } });
    expect(diffConfigs(on, off)).toMatchObject({ removed: ['a'], added: [] });
    expect(diffConfigs(off, on)).toMatchObject({ added: ['a'], removed: [] });
  });

  it('counts a change of env as a change (the server must restart to see it)', () => {
    const diff = diffConfigs(
      config({ a: { command: 'a', env: { X: '1' } } }),
      config({ a: { command: 'a', env: { X: '2' } } }),
    );
    expect(diff.changed).toEqual(['a']);
  });

  it('reports supervisor settings apart from servers', () => {
    const diff = diffConfigs(
      config({ a: { command: 'a' } }),
      config({ a: { command: 'a' } }, { port: 9000 }),
    );
    expect(diff).toMatchObject({
      added: [],
      removed: [],
      changed: [],
      unchanged: ['a'],
      supervisorChanged: true,
    });
    expect(isEmptyDiff(diff)).toBe(false);
  });

  it('finds nothing between a config and itself, whatever the key order', () => {
    const a = parseConfig('{"mcpServers":{"x":{"command":"x","args":["1"],"env":{"A":"1","B":"2"}}}}');
    const b = parseConfig('{"mcpServers":{"x":{"env":{"B":"2","A":"1"},"args":["1"],"command":"x"}}}');
    expect(isEmptyDiff(diffConfigs(a, b))).toBe(true);
  });
});
