import { addToHistogram, createHistogram, type Histogram, mergeHistogram, percentile } from './histogram.ts';
import type { RequestEvent } from './types.ts';

/** The live window behind `lastMinuteStats`: six 10-second slots, i.e. the last 50–60 s. */
const SLOT_MS = 10_000;
const SLOT_COUNT = 6;

export interface LastMinuteStats {
  count: number;
  errors: number;
  refused: number;
  /** Upper bound of the p95 bucket (see histogram.ts), null without requests that reached the server. */
  p95Ms: number | null;
}

interface LiveSlot {
  slot: number;
  count: number;
  errors: number;
  refused: number;
  histogram: Histogram;
}

/**
 * Requests of the last minute per server, in memory: six 10-second slots per server, reused
 * in a ring, so alert rules can read the last minute every sample without SQL and including
 * what is not flushed yet. `add` is O(1) and allocates only a server's first slots.
 */
export class LiveWindow {
  readonly #live = new Map<string, LiveSlot[]>();

  add(event: RequestEvent, isError: boolean, isRefused: boolean): void {
    let slots = this.#live.get(event.server);
    if (!slots) {
      slots = [];
      this.#live.set(event.server, slots);
    }
    const slot = Math.floor(event.ts / SLOT_MS);
    const index = slot % SLOT_COUNT;
    let entry = slots[index];
    if (!entry) {
      entry = { slot, count: 0, errors: 0, refused: 0, histogram: createHistogram() };
      slots[index] = entry;
    } else if (entry.slot !== slot) {
      // A late event for a slot already reused is only in the rollups, not in the live window.
      if (slot < entry.slot) return;
      entry.slot = slot;
      entry.count = 0;
      entry.errors = 0;
      entry.refused = 0;
      entry.histogram.fill(0);
    }
    entry.count++;
    if (isError) entry.errors++;
    if (isRefused) entry.refused++;
    else addToHistogram(entry.histogram, event.latencyMs);
  }

  /** Requests of `server` in the slots that end at `nowMs` (the last 50–60 s). */
  lastMinute(server: string, nowMs: number): LastMinuteStats {
    const stats: LastMinuteStats = { count: 0, errors: 0, refused: 0, p95Ms: null };
    const slots = this.#live.get(server);
    if (!slots) return stats;
    const currentSlot = Math.floor(nowMs / SLOT_MS);
    const histogram = createHistogram();
    for (const entry of slots) {
      // The slots array is indexed by slot number modulo SLOT_COUNT: unused indexes are holes.
      if (!entry || entry.slot <= currentSlot - SLOT_COUNT || entry.slot > currentSlot) continue;
      stats.count += entry.count;
      stats.errors += entry.errors;
      stats.refused += entry.refused;
      mergeHistogram(histogram, entry.histogram);
    }
    stats.p95Ms = percentile(histogram, 95);
    return stats;
  }
}
