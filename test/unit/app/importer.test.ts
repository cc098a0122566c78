import { describe, expect, it, vi } from 'vitest';
import {
  type ConfigImporter,
  describeImportPlan,
  type ImportPlanSummary,
  type ImportSource,
  runImport,
} from '../../../app/importer.ts';

const plan: ImportPlanSummary = {
  sourceFile: '/home/me/.cursor/mcp.json',
  added: ['github'],
  changed: ['memory'],
  renamed: [{ from: 'files', to: 'files-2' }],
  skipped: [{ name: 'broken', reason: 'no command or url' }],
};

function fakeImporter(result: ImportPlanSummary = plan) {
  const calls: { plan: ImportSource[]; apply: ImportPlanSummary[] } = { plan: [], apply: [] };
  const importer: ConfigImporter = {
    planImport: async (source) => {
      calls.plan.push(source);
      return result;
    },
    applyImport: async (applied) => {
      calls.apply.push(applied);
      return { configFile: '/home/me/.config/mcp-supervisor/config.json', backupFile: '/x/config.json.bak' };
    },
  };
  return { importer, calls };
}

describe('import from the tray', () => {
  it('describes what a plan adds, renames, changes and skips', () => {
    expect(describeImportPlan(plan)).toEqual({
      hasChanges: true,
      message: 'Import 3 servers from /home/me/.cursor/mcp.json?',
      detail:
        'Add: github\nAdd renamed (the name is taken): files → files-2\nChange: memory\nSkip: broken (no command or url)',
    });
  });

  it('plans, asks, applies and reloads', async () => {
    const { importer, calls } = fakeImporter();
    const confirm = vi.fn(async () => true);
    const outcome = await runImport(
      'cursor',
      {
        importer,
        pickFile: async () => undefined,
        confirm,
        reload: async () => 'Reloaded: 1 added (github)',
      },
      AbortSignal.timeout(1000),
    );
    expect(calls.plan).toEqual([{ client: 'cursor' }]);
    expect(confirm).toHaveBeenCalledWith(
      expect.objectContaining({ message: expect.stringContaining('Import 3') }),
    );
    expect(calls.apply).toEqual([plan]);
    expect(outcome).toEqual({
      kind: 'imported',
      message:
        'Wrote /home/me/.config/mcp-supervisor/config.json (backup: /x/config.json.bak). Reloaded: 1 added (github)',
    });
  });

  it('writes nothing when the user cancels the dialog or the file picker', async () => {
    const { importer, calls } = fakeImporter();
    const deps = {
      importer,
      pickFile: async () => undefined,
      confirm: async () => false,
      reload: async () => '',
    };
    expect(await runImport('claude', deps, AbortSignal.timeout(1000))).toEqual({ kind: 'cancelled' });
    expect(await runImport('file', deps, AbortSignal.timeout(1000))).toEqual({ kind: 'cancelled' });
    expect(calls.apply).toEqual([]);
  });

  it('says so when there is nothing to import, and imports from a picked file', async () => {
    const { importer, calls } = fakeImporter({ ...plan, added: [], changed: [], renamed: [], skipped: [] });
    const outcome = await runImport(
      'file',
      {
        importer,
        pickFile: async () => '/tmp/mcp.json',
        confirm: async () => true,
        reload: async () => undefined,
      },
      AbortSignal.timeout(1000),
    );
    expect(calls.plan).toEqual([{ file: '/tmp/mcp.json' }]);
    expect(outcome).toEqual({
      kind: 'nothing',
      message: 'Nothing to import from /home/me/.cursor/mcp.json. It lists no MCP servers.',
    });
  });

  it('tells the user the file is read at the next start when no supervisor runs', async () => {
    const { importer } = fakeImporter();
    const outcome = await runImport(
      'windsurf',
      { importer, pickFile: async () => undefined, confirm: async () => true, reload: async () => undefined },
      AbortSignal.timeout(1000),
    );
    expect(outcome.kind === 'imported' && outcome.message).toMatch(
      /not running; it reads the file when it starts/,
    );
  });
});
