// Read state: moving my read cursor when I look at a conversation, and the peer's cursor that
// turns my messages "read".
import { signal } from '@preact/signals';
import { api, call } from '../api/client';
import { applyRead } from '../logic/conversations';
import { keyedThrottle } from '../logic/throttle';
import type { ReadAckFrame, ReadReceiptFrame } from '../ws/frames';
import { conversations, me, peerRead, timeline, transmit, viewing } from './chatStore';

/** The highest seq a read was sent for, per conversation: one `read` per new message, not per render. */
const lastReadSent = new Map<string, number>();

export function resetReads(): void {
  lastReadSent.clear();
}

export function resetGroupReads(): void {
  groupReads.value = {};
  groupReadsAsked.reset();
}

/** Moves my read cursor to the newest message of an open, visible conversation. */
export function markRead(id: string): void {
  if (!viewing(id)) return;
  const c = conversations.value.find((x) => x.conversation_id === id);
  const t = timeline(id);
  const newest = Math.max(c?.max_seq ?? 0, t.messages[t.messages.length - 1]?.seq ?? 0);
  if (newest === 0 || (c && c.read_seq >= newest && c.unread === 0) || (lastReadSent.get(id) ?? 0) >= newest) return;
  lastReadSent.set(id, newest);
  conversations.value = applyRead(conversations.value, id, newest, 0);
  if (!transmit({ type: 'read', conversation_id: id, seq: newest })) {
    // Offline: the same over REST (the cursor never moves back, so a repeat is harmless).
    void call(api.POST('/conversations/{conversation_id}/read', { params: { path: { conversation_id: id } }, body: { seq: newest } })).catch(() =>
      lastReadSent.delete(id),
    );
  }
}

function raisePeerRead(id: string, seq: number): void {
  if (seq > (peerRead.value[id] ?? 0)) peerRead.value = { ...peerRead.value, [id]: seq };
}

/** Read counts of my newest loaded messages (up to 200), or null when I have none there or the server does not answer. */
async function countsOfMine(id: string): Promise<{ seq: number; read_by: number }[] | null> {
  const mine = me();
  const seqs = timeline(id)
    .messages.filter((m) => m.sender_id === mine)
    .slice(-200)
    .map((m) => m.seq);
  if (seqs.length === 0) return null;
  try {
    const answer = await call(
      api.GET('/conversations/{conversation_id}/read-counts', { params: { path: { conversation_id: id }, query: { seqs: seqs.join(',') } } }),
    );
    return answer.counts.map((c) => ({ seq: c.seq ?? 0, read_by: c.read_by ?? 0 }));
  } catch {
    // Without it, the status just says "sent" (1:1 receipts still come as frames).
    return null;
  }
}

/** The peer's read cursor when a chat opens: how far they read among my loaded messages. */
export async function loadPeerRead(id: string): Promise<void> {
  const counts = await countsOfMine(id);
  if (counts) raisePeerRead(id, counts.filter((c) => c.read_by > 0).reduce((hi, c) => Math.max(hi, c.seq), 0));
}

/**
 * How many members read each of my messages, per group conversation. Group receipts go to the
 * reader's own sessions only, so these are asked (GET read-counts): when the chat opens, when the
 * page comes back into view, and when someone else's message arrives there (at most every 2 s).
 */
export const groupReads = signal<Readonly<Record<string, Readonly<Record<number, number>>>>>({});

export async function loadGroupReads(id: string): Promise<void> {
  const counts = await countsOfMine(id);
  if (counts) groupReads.value = { ...groupReads.value, [id]: Object.fromEntries(counts.map((c) => [c.seq, c.read_by])) };
}

const groupReadsAsked = keyedThrottle(2_000);

/** Someone else wrote in a group I am looking at: they (and maybe others) read on; ask again. */
export function refreshGroupReads(id: string): void {
  if (!id.startsWith('g:') || !groupReadsAsked.due(id)) return;
  groupReadsAsked.mark(id);
  void loadGroupReads(id);
}

export function onReadAck(frame: ReadAckFrame): void {
  conversations.value = applyRead(conversations.value, frame.conversation_id, frame.read_seq, frame.unread);
}

/** A receipt is either the peer's (my messages become "read") or my own other session's. */
export function onReadReceipt(frame: ReadReceiptFrame): void {
  if (frame.reader_id === me()) conversations.value = applyRead(conversations.value, frame.conversation_id, frame.read_seq);
  else raisePeerRead(frame.conversation_id, frame.read_seq);
}
