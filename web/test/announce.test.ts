import { afterEach, describe, expect, it, vi } from 'vitest';
import { burstCollector, describeArrivals, isArrival, type Arrival, type Wording } from '../src/logic/announce';
import { msg } from './fixtures';

const names: Record<number, string> = { 2: 'Bob', 3: 'Carol', 4: 'Dan', 5: 'Eve' };
const wording: Wording = {
  name: (id) => names[id] ?? `#${id}`,
  place: (id) => (id.startsWith('g:') ? 'Team' : null),
  list: (list) => new Intl.ListFormat('en', { type: 'conjunction' }).format(list),
  others: (n) => `${n} others`,
  one: (name) => `New message from ${name}`,
  oneIn: (name, place) => `New message from ${name} in ${place}`,
  many: (n, who) => `${n} new messages from ${who}`,
  manyIn: (n, who, place) => `${n} new messages from ${who} in ${place}`,
};
const direct = (senderId: number): Arrival => ({ senderId, conversationId: `d:1:${senderId}` });
const group = (senderId: number): Arrival => ({ senderId, conversationId: 'g:7' });

describe('which messages are announced', () => {
  it('announces someone else’s message that is new to its conversation', () => {
    expect(isArrival(msg(5), 1, 4)).toBe(true);
    // A new conversation (not in the list yet).
    expect(isArrival(msg(1), 1, 0)).toBe(true);
  });

  it('says nothing for history, repeats, my own messages and recalls', () => {
    // History: the newest page of a chat being opened, older pages scrolled into view, the
    // pulls of a resync (all at or below the max_seq the list already knew).
    expect(isArrival(msg(3), 1, 4)).toBe(false);
    // A push repeated, or a push that raced a pull of the same seq.
    expect(isArrival(msg(4), 1, 4)).toBe(false);
    // Mine, sent from this tab or another one.
    expect(isArrival(msg(5, { sender_id: 1 }), 1, 4)).toBe(false);
    // A recall event, and a message pulled already recalled.
    expect(isArrival(msg(6, { content: { type: 'recalled', recalled_at_ms: 1, recalled_seq: 5 } }), 1, 5)).toBe(false);
    expect(isArrival(msg(6, { content: { type: 'recalled', recalled_at_ms: 1, recalled_seq: 6 } }), 1, 5)).toBe(false);
  });
});

describe('the words', () => {
  it('names the sender, and the group when there is one', () => {
    expect(describeArrivals([direct(2)], wording)).toBe('New message from Bob');
    expect(describeArrivals([group(3)], wording)).toBe('New message from Carol in Team');
    expect(describeArrivals([], wording)).toBe('');
  });

  it('counts a burst and lists its senders in the order they wrote', () => {
    expect(describeArrivals([direct(2), direct(2), direct(2)], wording)).toBe('3 new messages from Bob');
    expect(describeArrivals([group(3), group(2), group(3)], wording)).toBe('3 new messages from Carol and Bob in Team');
    // Several conversations: no place.
    expect(describeArrivals([direct(2), group(3)], wording)).toBe('2 new messages from Bob and Carol');
    // Four or more senders: the first two and a count.
    expect(describeArrivals([group(2), group(3), group(4), group(5)], wording)).toBe('4 new messages from Bob, Carol, and 2 others in Team');
  });
});

describe('bursts', () => {
  afterEach(() => void vi.useRealTimers());

  it('says one sentence per burst, and nothing after a reset', () => {
    vi.useFakeTimers();
    const said: (readonly Arrival[])[] = [];
    const bursts = burstCollector((a) => said.push(a), 700);
    bursts.add([direct(2)]);
    vi.advanceTimersByTime(300);
    bursts.add([direct(2), direct(3)]);
    bursts.add([]);
    expect(said).toEqual([]);
    vi.advanceTimersByTime(400);
    expect(said).toEqual([[direct(2), direct(2), direct(3)]]);
    // The next arrival starts a new burst.
    bursts.add([group(4)]);
    vi.advanceTimersByTime(700);
    expect(said).toHaveLength(2);
    bursts.add([group(5)]);
    bursts.reset();
    vi.advanceTimersByTime(1000);
    expect(said).toHaveLength(2);
    // Nothing pending, nothing said.
    bursts.add([]);
    vi.advanceTimersByTime(1000);
    expect(said).toHaveLength(2);
  });
});
