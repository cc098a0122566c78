import { describe, expect, it } from 'vitest';
import { FilteredLines, LogBuffer } from '../../../renderer/src/lib/log-buffer.ts';
import {
  EntryMaker,
  levelName,
  markerText,
  parseServerLine,
  parseSupervisorLine,
} from '../../../renderer/src/lib/log-lines.ts';
import {
  compileSearch,
  indexInSorted,
  MatchTracker,
  matchingPositions,
  splitHighlights,
  stepMatch,
} from '../../../renderer/src/lib/log-search.ts';

describe('log lines', () => {
  it('reads the PM2 time prefix as local time and keeps the text', () => {
    const parsed = parseServerLine('2026-01-31T14:03:07: Error: ENOENT');
    expect(parsed.text).toBe('Error: ENOENT');
    expect(parsed.ts).toBe(new Date(2026, 0, 31, 14, 3, 7).getTime());
    expect(parseServerLine('no prefix')).toEqual({ ts: null, text: 'no prefix' });
  });

  it('reads a pino line as time, level and "msg key=value"', () => {
    const line = JSON.stringify({
      level: 40,
      time: 5,
      pid: 1,
      msg: 'server a: restarting',
      server: 'a',
      delayMs: 200,
      note: 'two words',
    });
    expect(parseSupervisorLine(line)).toEqual({
      ts: 5,
      level: 40,
      text: 'server a: restarting server=a delayMs=200 note="two words"',
    });
    expect(parseSupervisorLine('{broken')).toEqual({ ts: null, level: null, text: '{broken' });
    expect(levelName(50)).toBe('error');
    expect(levelName(35)).toBe('info');
  });

  it('writes markers for restarts and exits and fills missing times from the line before', () => {
    expect(markerText({ kind: 'exit', exitCode: 3 })).toBe('exited with code 3');
    expect(markerText({ kind: 'restart', delayMs: 400 })).toBe('restarting in 400 ms');
    expect(markerText({ kind: 'state' })).toBeNull();
    const maker = new EntryMaker();
    const a = maker.serverLine('err', '2026-01-31T14:03:07: first');
    const b = maker.serverLine('err', 'continued stack line');
    expect(b.ts).toBe(a.ts);
    expect(a.level).toBe(40);
    const buffer = new LogBuffer(10);
    buffer.append([a, b]);
    expect([a.seq, b.seq]).toEqual([0, 1]);
  });
});

describe('log buffer', () => {
  const maker = new EntryMaker();
  const lines = (n: number, text = (i: number) => `line ${i}`) =>
    Array.from({ length: n }, (_, i) => maker.make(i % 2 ? 'err' : 'out', 1_000 + i, null, text(i)));

  it('stays within its capacity, dropping the oldest a tenth at a time', () => {
    const buffer = new LogBuffer(1_000);
    for (let i = 0; i < 30; i++) buffer.append(lines(100));
    expect(buffer.size).toBeLessThanOrEqual(1_000);
    expect(buffer.size).toBeGreaterThanOrEqual(900);
    expect(buffer.dropped + buffer.size).toBe(3_000);
    const first = buffer.at(0)!;
    expect(buffer.bySeq(first.seq)).toBe(first);
    expect(buffer.bySeq(first.seq - 1)).toBeUndefined();
  });

  it('keeps a filtered view in step with appends, trims and resets', () => {
    const buffer = new LogBuffer(100);
    const errors = new FilteredLines(buffer, (entry) => entry.source === 'err');
    buffer.append(lines(50));
    errors.sync();
    expect(errors.size).toBe(25);
    buffer.append(lines(100));
    errors.sync();
    expect(errors.size).toBe(Math.floor(buffer.size / 2));
    expect(errors.at(0)?.source).toBe('err');
    expect(errors.at(errors.size - 1)).toBe(
      buffer.at(buffer.size - 1)?.source === 'err' ? buffer.at(buffer.size - 1) : buffer.at(buffer.size - 2),
    );
    buffer.reset(lines(4));
    errors.sync();
    expect(errors.size).toBe(2);
    errors.setFilter(() => true);
    expect(errors.toArray()).toHaveLength(4);
  });

  it('finds the first line at a time by binary search', () => {
    const buffer = new LogBuffer(100);
    buffer.append(Array.from({ length: 10 }, (_, i) => maker.make('out', i * 10, null, `t${i}`)));
    const all = new FilteredLines(buffer);
    expect(all.indexAtTime(35)).toBe(4);
    expect(all.indexAtTime(0)).toBe(0);
    expect(all.indexAtTime(1_000)).toBe(10);
    const odd = new FilteredLines(buffer, (entry) => entry.seq % 2 === 1);
    const seqOf = (i: number) => odd.at(i)?.seq ?? -1;
    expect(odd.positionOfSeq(seqOf(2))).toBe(2);
    // A filtered-out seq maps to the next line that passes.
    expect(odd.positionOfSeq(seqOf(2) + 1)).toBe(3);
  });
});

describe('log search', () => {
  it('matches plain text case-insensitively and returns the ranges to highlight', () => {
    const { search } = compileSearch('error');
    expect(search?.test('An ERROR here')).toBe(true);
    expect(search?.ranges('error, Error, ERROR')).toEqual([
      [0, 5],
      [7, 12],
      [14, 19],
    ]);
    expect(splitHighlights('An error here', [[3, 8]])).toEqual([
      { text: 'An ', isMatch: false },
      { text: 'error', isMatch: true },
      { text: ' here', isMatch: false },
    ]);
    // Regex characters in plain text are literal.
    expect(compileSearch('a.b').search?.test('axb')).toBe(false);
  });

  it('supports regular expressions, reports a bad one in words and never loops on empty matches', () => {
    expect(compileSearch('exit(ed)? code \\d', { isRegex: true }).search?.test('exited code 3')).toBe(true);
    expect(compileSearch('(', { isRegex: true }).error).toMatch(/not a valid regular expression/);
    expect(compileSearch('x*', { isRegex: true }).search?.ranges('abxxc')).toEqual([[2, 4]]);
    expect(compileSearch('')).toEqual({ search: null, error: null });
    expect(compileSearch('Error', { isCaseSensitive: true }).search?.test('error')).toBe(false);
  });

  it('lists matching lines and steps through them with wrap-around', () => {
    const texts = ['a', 'needle', 'b', 'needle', 'c'];
    const { search } = compileSearch('needle');
    const matches = matchingPositions(texts.length, (i) => texts[i], search!);
    expect(matches).toEqual([1, 3]);
    expect(stepMatch(matches, -1, 1)).toBe(1);
    expect(stepMatch(matches, 1, 1)).toBe(3);
    expect(stepMatch(matches, 3, 1)).toBe(1);
    expect(stepMatch(matches, 1, -1)).toBe(3);
    expect(stepMatch([], 0, 1)).toBe(-1);
  });
});

describe('match tracker', () => {
  it('scans everything for a new search, then only the lines that arrive, and forgets trimmed ones', () => {
    const maker = new EntryMaker();
    const buffer = new LogBuffer(100);
    const lines = new FilteredLines(buffer);
    const tracker = new MatchTracker();
    const { search } = compileSearch('needle');
    buffer.append(
      Array.from({ length: 50 }, (_, i) => maker.make('out', i, null, i % 10 === 0 ? 'a needle' : 'hay')),
    );
    lines.sync();
    const key = {};
    expect(tracker.update(lines, search, key)).toEqual([0, 10, 20, 30, 40]);
    let tested = 0;
    const counting = {
      test: (text: string) => {
        tested++;
        return search!.test(text);
      },
      ranges: search!.ranges,
    };
    buffer.append([maker.make('out', 50, null, 'needle again')]);
    lines.sync();
    expect(tracker.update(lines, counting, key)).toEqual([0, 10, 20, 30, 40, 50]);
    expect(tested).toBe(1);
    buffer.append(Array.from({ length: 70 }, (_, i) => maker.make('out', 51 + i, null, 'hay')));
    lines.sync();
    const kept = tracker.update(lines, search, key);
    expect(kept.every((seq) => seq >= buffer.firstSeq)).toBe(true);
    expect(indexInSorted(kept, 50)).toBe(kept.length - 1);
    expect(indexInSorted(kept, 7)).toBe(-1);
    expect(tracker.update(lines, null, key)).toEqual([]);
  });
});
