import { describe, expect, it } from 'vitest';
import { Subscribers } from '../../../supervisor/upstream/subscribers.ts';

describe('Subscribers', () => {
  it('subscribes upstream for the first subscriber and unsubscribes for the last', () => {
    const subscribers = new Subscribers();
    expect(subscribers.add('a://x', 's1')).toBe(true);
    expect(subscribers.add('a://x', 's2')).toBe(false);
    expect(subscribers.uris()).toEqual(['a://x']);
    // One client leaving never ends another's subscription.
    expect(subscribers.remove('a://x', 's1')).toBe(false);
    expect(subscribers.remove('a://x', 's1')).toBe(false);
    expect(subscribers.remove('a://x', 's2')).toBe(true);
    expect(subscribers.uris()).toEqual([]);
    expect(subscribers.remove('a://y', 's1')).toBe(false);
  });
});
