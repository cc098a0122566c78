import { describe, expect, it } from 'vitest';
import type { ClientEntry, ImportPreview } from '../../../renderer/src/api/types.ts';
import {
  describeAction,
  describeFileState,
  describeImportResult,
  describeRemoval,
  describeSetup,
  describeSetupResult,
  summarizePlan,
} from '../../../renderer/src/lib/client-words.ts';

const entry = (extra: Partial<ClientEntry> = {}): ClientEntry => ({
  client: 'cursor',
  displayName: 'Cursor',
  scopes: ['user', 'project'],
  scope: 'user',
  file: '/home/me/.cursor/mcp.json',
  fileState: 'found',
  problem: null,
  servers: 2,
  connectEntries: [],
  setup: null,
  importPreview: null,
  importProblem: null,
  ...extra,
});

const plan = (items: ImportPreview['items'], hasChanges = true): ImportPreview => ({
  source: { client: 'cursor', file: '/home/me/.cursor/mcp.json', scope: 'user' },
  target: { file: '/cfg/config.json', exists: true },
  items,
  notes: [],
  hasChanges,
  planId: '0123456789abcdef',
});

const item = (sourceName: string, name: string, action: ImportPreview['items'][number]['action']) => ({
  sourceName,
  name,
  action,
  reason: null,
  notes: [],
  runs: null,
});

describe('the Clients view’s words', () => {
  it('says what a client file holds and whether it is set up', () => {
    expect(describeFileState(entry())).toBe('found, 2 servers');
    expect(describeFileState(entry({ servers: 1 }))).toBe('found, 1 server');
    expect(describeFileState(entry({ fileState: 'missing' }))).toBe('no file');
    expect(describeFileState(entry({ fileState: 'malformed' }))).toBe('malformed');
    expect(describeSetup(entry())).toBe('Not set up to use the supervisor.');
    expect(describeSetup(entry({ connectEntries: ['sup'] }))).toMatch(/by hand \(sup\)/);
    const setup = {
      entryName: 'mcp-supervisor',
      keyName: 'cursor',
      keyId: 'k',
      keyActive: false,
      server: 'memory',
      moved: [],
    };
    expect(describeSetup(entry({ setup }))).toBe(
      'Set up: entry “mcp-supervisor” reaches server memory only with key “cursor” (revoked: remove and set up again).',
    );
  });

  it('words each action of a plan and sums the plan up', () => {
    expect(describeAction(item('memory', 'memory-cursor', 'rename'))).toBe('add as memory-cursor');
    expect(describeAction(item('mem', 'memory', 'unchanged'))).toBe('already there as memory');
    expect(
      summarizePlan(
        plan([
          item('a', 'a', 'add'),
          item('b', 'b-cursor', 'rename'),
          item('c', 'c', 'skip'),
          item('d', 'd', 'skip'),
        ]),
      ),
    ).toBe('An import would add 1, add 1 under another name, skip 2.');
    expect(summarizePlan(plan([item('a', 'a', 'add'), item('b', 'b', 'unchanged')]))).toBe(
      'An import would add 1; 1 already there.',
    );
    expect(summarizePlan(plan([item('a', 'a', 'unchanged'), item('c', 'c', 'skip')], false))).toBe(
      'Nothing to import (1 already there, 1 skipped).',
    );
    expect(summarizePlan(plan([]))).toBe('It lists no MCP servers.');
  });

  it('says what an import, a setup and a removal did', () => {
    expect(
      describeImportResult({
        written: true,
        file: '/cfg/config.json',
        backup: '/cfg/config.json.1.bak',
        reload: {
          status: 'reloaded',
          diff: { added: ['memory'], changed: [], removed: [] },
          servers: [{ name: 'memory', state: 'starting' }],
        },
      }),
    ).toBe(
      'Wrote /cfg/config.json (backup: /cfg/config.json.1.bak). Reloaded: added memory; memory starting.',
    );
    expect(
      describeImportResult({
        written: true,
        file: '/f',
        backup: null,
        reload: { status: 'not-running', message: 'no supervisor is running' },
      }),
    ).toBe('Wrote /f. No supervisor is running.');
    expect(
      describeSetupResult(
        {
          file: '/c.json',
          backup: null,
          entryName: 'mcp-supervisor',
          keyId: 'k',
          keyName: 'claude',
          moved: ['memory'],
        },
        'Claude Desktop',
      ),
    ).toBe(
      'Wrote “mcp-supervisor” into /c.json (the file is new) with the new key “claude”. Moved out: memory. Restart Claude Desktop to use it.',
    );
    expect(
      describeRemoval({
        removed: [
          {
            file: '/c.json',
            entryName: 'mcp-supervisor',
            how: 'edited',
            backup: '/c.json.2.bak',
            restoredServers: ['memory'],
            conflicts: ['x'],
            revokedKeys: 1,
          },
        ],
      }),
    ).toBe(
      '/c.json: “mcp-supervisor” removed (backup: /c.json.2.bak); servers back in it: memory; not put back (name taken): x. Its key is revoked.',
    );
  });
});
