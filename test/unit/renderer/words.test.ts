import { describe, expect, it } from 'vitest';
import type { AlertRecord, TimelineEntry } from '../../../renderer/src/api/types.ts';
import { clientSnippets, endpointUrl } from '../../../renderer/src/lib/client-config.ts';
import { exportFileName, toCsv, toJsonLines } from '../../../renderer/src/lib/export.ts';
import { SseParser } from '../../../renderer/src/lib/sse-parse.ts';
import {
  alertValue,
  applyAlertEvent,
  describeDiff,
  describeFailure,
  describeOutcome,
  describeTimelineEntry,
} from '../../../renderer/src/lib/words.ts';

const entry = (overrides: Partial<TimelineEntry>): TimelineEntry => ({
  ts: 1,
  category: 'server',
  type: 'start',
  server: 'memory',
  severity: 'info',
  detail: null,
  exitCode: null,
  ...overrides,
});

const alert = (overrides: Partial<AlertRecord>): AlertRecord => ({
  id: 1,
  key: 'host_cpu:host',
  rule: 'host_cpu',
  subject: 'host',
  severity: 'warning',
  value: 92.123,
  threshold: 80,
  message: 'host CPU at 92%',
  firedAt: 10,
  lastSeenAt: 10,
  notifiedAt: 10,
  resolvedAt: null,
  suppressedCount: 0,
  acknowledgedAt: null,
  ...overrides,
});

describe('words', () => {
  it('describes timeline entries', () => {
    expect(describeTimelineEntry(entry({ type: 'exit', exitCode: 3 })).title).toBe(
      'memory exited with code 3',
    );
    expect(
      describeTimelineEntry(
        entry({
          category: 'reload',
          type: 'reload',
          server: null,
          detail: { ok: true, added: ['a'], changed: [], removed: ['b'] },
        }),
      ),
    ).toEqual({ title: 'Config reloaded', detail: 'added a; removed b' });
    expect(
      describeTimelineEntry(
        entry({ category: 'reload', type: 'reload', detail: { ok: false, message: 'x: expected number' } }),
      ),
    ).toEqual({ title: 'Config reload refused; nothing changed', detail: 'x: expected number' });
    expect(
      describeTimelineEntry(
        entry({
          category: 'alert',
          type: 'alert.fired',
          detail: { message: 'host CPU at 92%', value: 92.123, threshold: 80 },
        }),
      ),
    ).toEqual({ title: 'Alert: host CPU at 92%', detail: 'value 92.12 vs threshold 80' });
    expect(describeDiff({ added: [], changed: [], removed: [], supervisorChanged: true })).toMatch(
      /no server changed; supervisor settings/,
    );
  });

  it('writes alert values with their unit and keeps the firing list in step with the stream', () => {
    expect(alertValue(alert({}))).toBe('92.12 % (threshold 80 %)');
    expect(alertValue(alert({ rule: 'latency_p95', value: 7_012.4, threshold: 5_000 }))).toBe(
      '7012.4 ms (threshold 5000 ms)',
    );
    expect(alertValue(alert({ rule: 'crash_loop' }))).toBe('condition holds');
    const first = alert({ id: 1 });
    const second = alert({ id: 2, firedAt: 20 });
    let firing = applyAlertEvent([], { type: 'alert.fired', alert: second, isRepeat: false });
    firing = applyAlertEvent(firing, { type: 'alert.fired', alert: first, isRepeat: false });
    expect(firing.map((a) => a.id)).toEqual([1, 2]);
    firing = applyAlertEvent(firing, {
      type: 'alert.fired',
      alert: { ...first, suppressedCount: 4 },
      isRepeat: true,
    });
    expect(firing[0]?.suppressedCount).toBe(4);
    expect(applyAlertEvent(firing, { type: 'alert.resolved', alert: first }).map((a) => a.id)).toEqual([2]);
  });

  it('says what failed in words: a rejected token is not an unreachable supervisor', () => {
    expect(describeFailure({ kind: 'unauthorized' })).toMatch(/^Token rejected/);
    expect(
      describeFailure({ kind: 'unreachable', baseUrl: 'http://127.0.0.1:7420', detail: 'Failed to fetch' }),
    ).toMatch(/^Supervisor unreachable at http:\/\/127\.0\.0\.1:7420/);
    expect(
      describeFailure({ kind: 'http', status: 404, code: 'UNKNOWN_SERVER', message: 'no server named "x"' }),
    ).toBe('no server named "x"');
  });
});

describe('exports and snippets', () => {
  it('writes CSV that spreadsheets read as data, never as formulas', () => {
    const csv = toCsv(
      [
        { a: 'plain', b: 1 },
        { a: 'with, comma and "quotes"', b: null },
        { a: '=HYPERLINK("x")', b: 2.5 },
      ],
      [
        { header: 'A', value: (r) => r.a },
        { header: 'B', value: (r) => r.b },
      ],
    );
    expect(csv).toBe('A,B\r\nplain,1\r\n"with, comma and ""quotes""",\r\n"\'=HYPERLINK(""x"")",2.5\r\n');
    expect(toJsonLines([{ a: 1 }, { b: 2 }])).toBe('{"a":1}\n{"b":2}\n');
    expect(exportFileName('requests', 'csv', new Date(2026, 0, 31, 14, 3).getTime())).toBe(
      'requests-2026-01-31-1403.csv',
    );
  });

  it('gives each client its own snippet, with no secret in it', () => {
    const origin = 'http://127.0.0.1:7420';
    expect(endpointUrl(origin, 'my server')).toBe('http://127.0.0.1:7420/mcp/my%20server');
    const [claude, cursor, vscode] = clientSnippets(origin, 'memory');
    expect(JSON.parse(claude!.text)).toEqual({
      mcpServers: { memory: { command: 'mcp-supervisor', args: ['connect', 'memory'] } },
    });
    expect(JSON.parse(cursor!.text).mcpServers.memory.url).toBe('http://127.0.0.1:7420/mcp/memory');
    expect(JSON.parse(vscode!.text).servers.memory).toMatchObject({
      type: 'http',
      url: 'http://127.0.0.1:7420/mcp/memory',
    });
    expect(JSON.parse(clientSnippets(origin, null)[0]!.text).mcpServers['mcp-supervisor'].args).toEqual([
      'connect',
    ]);
  });
});

describe('SSE parser', () => {
  it('parses events split anywhere, with comments, multi-line data and CRLF', () => {
    const parser = new SseParser();
    const text = ': connected\n\nevent: lines\ndata: {"a":\ndata: 1}\n\r\nevent: server\r\ndata: {}\r\n\r\n';
    const events = [];
    for (const char of text) events.push(...parser.feed(char));
    expect(events).toEqual([
      { event: 'lines', data: '{"a":\n1}' },
      { event: 'server', data: '{}' },
    ]);
  });
});

describe('request outcomes in words', () => {
  it('names refusals, failed tool calls, JSON-RPC errors, and passes unknown codes through', () => {
    expect(describeOutcome(null)).toBe('');
    expect(describeOutcome('timeout')).toBe('refused: timed out');
    expect(describeOutcome('queue_full')).toBe('refused: queue full');
    expect(describeOutcome('tool_error')).toBe('tool error');
    expect(describeOutcome('-32602')).toBe('JSON-RPC -32602 invalid params');
    expect(describeOutcome('-32099')).toBe('JSON-RPC -32099');
    expect(describeOutcome('SOMETHING_NEW')).toBe('SOMETHING_NEW');
  });
});
