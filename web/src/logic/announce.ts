// What a screen reader hears when messages arrive: "New message from X" for someone else's
// message that is new to its conversation (not a repeat, not a page of history loaded by
// scrolling or opening a chat, not a recall), worded once per burst.
import type { ChatMessage } from '../api/types';
import { isRecallEvent } from './timeline';

/**
 * Whether a received message is an arrival worth announcing. `knownMaxSeq` is the highest seq
 * the conversation list knew before it: history (older pages, the newest page of a chat being
 * opened, the pulls of a resync after the list was fetched) is at or below it.
 */
export function isArrival(m: ChatMessage, me: number, knownMaxSeq: number): boolean {
  return m.sender_id !== me && m.seq > knownMaxSeq && m.content.type !== 'recalled' && !isRecallEvent(m);
}

export type Arrival = { senderId: number; conversationId: string };

export type Wording = {
  /** Display name of a sender. */
  name: (senderId: number) => string;
  /** Name of a group conversation (null for a 1:1 one: the sender says where). */
  place: (conversationId: string) => string | null;
  /** Joins names: "A, B and C". */
  list: (names: readonly string[]) => string;
  /** "3 others", for senders beyond the first two of four or more. */
  others: (n: number) => string;
  one: (name: string) => string;
  oneIn: (name: string, place: string) => string;
  many: (n: number, names: string) => string;
  manyIn: (n: number, names: string, place: string) => string;
};

/** One sentence for a burst of arrivals (senders in the order they first wrote). */
export function describeArrivals(arrivals: readonly Arrival[], w: Wording): string {
  if (arrivals.length === 0) return '';
  const senders = [...new Set(arrivals.map((a) => a.senderId))];
  const places = new Set(arrivals.map((a) => a.conversationId));
  const names = senders.length > 3 ? [...senders.slice(0, 2).map(w.name), w.others(senders.length - 2)] : senders.map(w.name);
  const who = w.list(names);
  const place = places.size === 1 ? w.place(arrivals[0]!.conversationId) : null;
  if (arrivals.length === 1) return place ? w.oneIn(who, place) : w.one(who);
  return place ? w.manyIn(arrivals.length, who, place) : w.many(arrivals.length, who);
}

/**
 * Collects arrivals and speaks once per burst: the first arrival starts a short wait, and
 * everything that came meanwhile is said in one sentence (a screen reader that hears ten
 * messages from a busy group hears one line, not ten).
 */
export function burstCollector(say: (arrivals: readonly Arrival[]) => void, waitMs: number) {
  let pending: Arrival[] = [];
  let timer: ReturnType<typeof setTimeout> | null = null;
  return {
    add(list: readonly Arrival[]): void {
      if (list.length === 0) return;
      pending.push(...list);
      timer ??= setTimeout(() => {
        const burst = pending;
        pending = [];
        timer = null;
        say(burst);
      }, waitMs);
    },
    reset(): void {
      if (timer) clearTimeout(timer);
      timer = null;
      pending = [];
    },
  };
}
