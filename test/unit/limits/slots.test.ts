import { describe, expect, it } from 'vitest';
import { Slots } from '../../../supervisor/limits/slots.ts';

const full = () => new Error('full');

describe('Slots', () => {
  it('hands out at most max slots, then queues FIFO and serves waiters on release', async () => {
    const slots = new Slots({ max: 2, maxWaiting: 5 });
    expect(slots.tryAcquire()).toBe(true);
    expect(slots.tryAcquire()).toBe(true);
    expect(slots.tryAcquire()).toBe(false);
    const order: number[] = [];
    const first = slots.acquire(full).then(() => order.push(1));
    const second = slots.acquire(full).then(() => order.push(2));
    expect(slots.waiting).toBe(2);
    slots.release();
    await first;
    expect(order).toEqual([1]);
    expect(slots.running).toBe(2);
    // A free slot with someone waiting goes to the waiter, not to a newcomer.
    slots.release();
    expect(slots.tryAcquire()).toBe(false);
    await second;
    expect(order).toEqual([1, 2]);
  });

  it('refuses at once when maxWaiting callers already wait', async () => {
    const slots = new Slots({ max: 1, maxWaiting: 1 });
    slots.tryAcquire();
    const waiting = slots.acquire(full);
    await expect(slots.acquire(full)).rejects.toThrow('full');
    slots.release();
    await waiting;
    expect(slots.running).toBe(1);
  });

  it('lets an aborted waiter go, and its place counts no more', async () => {
    const slots = new Slots({ max: 1, maxWaiting: 1 });
    slots.tryAcquire();
    const abort = new AbortController();
    const waiting = slots.acquire(full, abort.signal);
    abort.abort(new Error('gone'));
    await expect(waiting).rejects.toThrow('gone');
    expect(slots.waiting).toBe(0);
    const next = slots.acquire(full);
    slots.release();
    await next;
    expect(slots.running).toBe(1);
  });

  it('raises and lowers max live, and rejects every waiter on rejectAll', async () => {
    const slots = new Slots({ max: 1, maxWaiting: 10 });
    slots.tryAcquire();
    const a = slots.acquire(full);
    slots.setMax(2);
    await a;
    expect(slots.running).toBe(2);
    slots.setMax(1);
    slots.release();
    expect(slots.tryAcquire()).toBe(false);
    expect(() => slots.setMax(0)).toThrow(/max/);
    const b = slots.acquire(full);
    slots.rejectAll(new Error('stopping'));
    await expect(b).rejects.toThrow('stopping');
    expect(() => new Slots({ max: 0, maxWaiting: 1 })).toThrow(/max/);
  });
});
