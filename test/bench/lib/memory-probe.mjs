// Loaded into the supervisor by the memory bench only (`--expose-gc --import=<this file>`), never in
// production: it lets the bench read the process's own memory figures and force a full garbage
// collection before a measurement that asks "did the memory come back".
//
// Protocol: the bench writes `<MCPS_MEMORY_PROBE>.cmd` = `{ "seq": n, "gc": true|false }` and sends
// SIGUSR2; the probe answers in `<MCPS_MEMORY_PROBE>.json` with the same `seq`. A `"heapSnapshot":
// "<file>"` in the command also writes a V8 heap snapshot there first (by hand, to see what the heap
// holds; it costs the process memory of its own, so never in a measured run). Plain JavaScript, so
// that loading it does not load Node's type stripper into the process it measures.
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import v8 from 'node:v8';

const base = process.env.MCPS_MEMORY_PROBE;
if (base) {
  process.on('SIGUSR2', () => {
    let command;
    try {
      command = JSON.parse(readFileSync(`${base}.cmd`, 'utf8'));
    } catch {
      return;
    }
    if (command.gc && typeof globalThis.gc === 'function') {
      // Twice: the first full GC runs finalizers and weak callbacks that free more for the second.
      globalThis.gc();
      globalThis.gc();
    }
    if (command.heapSnapshot) v8.writeHeapSnapshot(command.heapSnapshot);
    const spaces = Object.fromEntries(
      v8.getHeapSpaceStatistics().map((space) => [space.space_name, space.space_size]),
    );
    const report = { seq: command.seq, memoryUsage: process.memoryUsage(), heapSpaces: spaces };
    writeFileSync(`${base}.json.tmp`, JSON.stringify(report));
    renameSync(`${base}.json.tmp`, `${base}.json`);
  });
}
