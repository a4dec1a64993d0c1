// Read state: moving my read cursor when I look at a conversation, and the peer's cursor that
// turns my messages "read".
import { api, call } from '../api/client';
import { applyRead } from '../logic/conversations';
import type { ReadAckFrame, ReadReceiptFrame } from '../ws/frames';
import { conversations, me, peerRead, timeline, transmit, viewing } from './chatStore';

/** The highest seq a read was sent for, per conversation: one `read` per new message, not per render. */
const lastReadSent = new Map<string, number>();

export function resetReads(): void {
  lastReadSent.clear();
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

/** The peer's read cursor when a chat opens: how far they read among my loaded messages. */
export async function loadPeerRead(id: string): Promise<void> {
  const mine = me();
  const seqs = timeline(id)
    .messages.filter((m) => m.sender_id === mine)
    .slice(-200)
    .map((m) => m.seq);
  if (seqs.length === 0) return;
  try {
    const answer = await call(
      api.GET('/conversations/{conversation_id}/read-counts', { params: { path: { conversation_id: id }, query: { seqs: seqs.join(',') } } }),
    );
    const read = answer.counts.filter((c) => (c.read_by ?? 0) > 0).reduce((hi, c) => Math.max(hi, c.seq ?? 0), 0);
    raisePeerRead(id, read);
  } catch {
    // Without it, receipts still come as frames; the status just starts at "sent".
  }
}

export function onReadAck(frame: ReadAckFrame): void {
  conversations.value = applyRead(conversations.value, frame.conversation_id, frame.read_seq, frame.unread);
}

/** A receipt is either the peer's (my messages become "read") or my own other session's. */
export function onReadReceipt(frame: ReadReceiptFrame): void {
  if (frame.reader_id === me()) conversations.value = applyRead(conversations.value, frame.conversation_id, frame.read_seq);
  else raisePeerRead(frame.conversation_id, frame.read_seq);
}
