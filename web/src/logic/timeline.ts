// One conversation's loaded messages and what is known to be missing. Pure functions over
// immutable values, so the store can keep them in signals and the tests can drive them.
//
// Seqs rise by one per event in a conversation (docs/protocol.md), so the client knows it has
// missed something when it holds a seq above `contiguous + 1`; it then pulls `?after=contiguous`.
import type { ChatMessage } from '../api/types';

export type Timeline = {
  /** Ascending by seq, each seq once; recall events are kept (they count for gaps), the view hides them. */
  messages: readonly ChatMessage[];
  /** Every seq up to this one is loaded or known not to be there (0: nothing known yet). */
  contiguous: number;
  /** Lowest seq loaded (0: none); older pages are fetched with `?before=oldest`. */
  oldest: number;
  /** Whether the server said there are older messages than `oldest`. */
  hasOlder: boolean;
  /** Whether the newest page has been fetched at least once. */
  loaded: boolean;
};

export const emptyTimeline: Timeline = { messages: [], contiguous: 0, oldest: 0, hasOlder: false, loaded: false };

/** A pulled page as the REST API answers it. */
export type Page = { messages: readonly ChatMessage[]; has_more: boolean; max_seq: number };

/** True when this message is the event that recalls another (its own seq differs from the target's). */
export function isRecallEvent(m: ChatMessage): boolean {
  return m.content.type === 'recalled' && m.content.recalled_seq !== m.seq;
}

function advance(messages: readonly ChatMessage[], from: number): number {
  let contiguous = from;
  for (const m of messages) {
    if (m.seq <= contiguous) continue;
    if (m.seq !== contiguous + 1) break;
    contiguous = m.seq;
  }
  return contiguous;
}

/** Blanks the messages that recall events in `messages` name (the server does the same on pull). */
function applyRecalls(messages: ChatMessage[]): ChatMessage[] {
  const recalls = new Map<number, ChatMessage['content']>();
  for (const m of messages) if (m.content.type === 'recalled' && isRecallEvent(m)) recalls.set(m.content.recalled_seq, m.content);
  if (recalls.size === 0) return messages;
  return messages.map((m) => {
    const content = recalls.get(m.seq);
    return content && m.content.type !== 'recalled' ? { ...m, content } : m;
  });
}

/**
 * Adds messages (pushed or pulled) to a timeline. Repeats (same seq) are dropped, so a push
 * that races a pull is shown once. `contiguous` moves up over the seqs now present.
 */
export function mergeMessages(t: Timeline, incoming: readonly ChatMessage[]): Timeline {
  const bySeq = new Map<number, ChatMessage>();
  for (const m of t.messages) bySeq.set(m.seq, m);
  let added = false;
  for (const m of incoming) {
    if (bySeq.has(m.seq)) continue;
    // Older than the loaded window and not part of it: the older page will bring it.
    if (t.loaded && t.oldest > 0 && m.seq < t.oldest && t.hasOlder) continue;
    bySeq.set(m.seq, m);
    added = true;
  }
  if (!added) return t;
  const messages = applyRecalls([...bySeq.values()].sort((a, b) => a.seq - b.seq));
  const first = messages[0];
  return {
    ...t,
    messages,
    contiguous: advance(messages, t.contiguous),
    oldest: first ? first.seq : 0,
  };
}

/** The seq to pull after when something is missing, or null when the timeline has no gap. */
export function gapAfter(t: Timeline): number | null {
  if (!t.loaded) return null;
  const last = t.messages[t.messages.length - 1];
  return last && last.seq > t.contiguous ? t.contiguous : null;
}

/** The newest page (`?before=0`): everything up to the conversation's max_seq is now known. */
export function applyNewestPage(t: Timeline, page: Page): Timeline {
  const merged = mergeMessages({ ...t, loaded: true, hasOlder: false }, page.messages);
  return { ...merged, loaded: true, hasOlder: page.has_more, contiguous: Math.max(merged.contiguous, page.max_seq) };
}

/** An older page (`?before=oldest`). */
export function applyOlderPage(t: Timeline, page: Page): Timeline {
  const merged = mergeMessages({ ...t, hasOlder: false }, page.messages);
  return { ...merged, hasOlder: page.has_more };
}

/**
 * A page pulled `?after=N`. When it was the last one (`has_more` false), every seq up to the
 * answer's max_seq is known, even seqs the server did not return (deleted for me), so the same
 * gap is not pulled again and again.
 */
export function applyAfterPage(t: Timeline, page: Page): Timeline {
  const merged = mergeMessages(t, page.messages);
  if (page.has_more) return merged;
  return { ...merged, contiguous: Math.max(merged.contiguous, page.max_seq) };
}

/** Blanks one message because a `recall` frame said so. */
export function applyRecall(t: Timeline, seq: number, recalledAtMs: number): Timeline {
  const i = t.messages.findIndex((m) => m.seq === seq);
  const target = t.messages[i];
  if (!target || target.content.type === 'recalled') return t;
  const messages = [...t.messages];
  messages[i] = { ...target, content: { type: 'recalled', recalled_at_ms: recalledAtMs, recalled_seq: seq } };
  return { ...t, messages };
}
