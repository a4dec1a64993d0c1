// The conversation list: most recently active first, with unread counts. Pure reducers over
// the list as GET /conversations returns it, fed by pushes in between.
import type { ChatMessage, Conversation } from '../api/types';
import { peerOf } from './conversationId';
import { isRecallEvent } from './timeline';

export function sortByActivity(list: readonly Conversation[]): Conversation[] {
  return [...list].sort((a, b) => b.last_activity_ms - a.last_activity_ms || a.conversation_id.localeCompare(b.conversation_id));
}

function targetOf(m: ChatMessage, me: number): number {
  if (m.kind === 'direct') return peerOf(m.conversation_id, me) ?? m.target_id;
  return m.target_id;
}

/**
 * A message arrived (push, ack of my own send, or pull). A seq at or below the list's max_seq
 * is a repeat or an old page and changes nothing; otherwise it becomes the preview, and counts
 * as unread when someone else sent it and I am not looking at the conversation.
 */
export function applyMessage(list: readonly Conversation[], m: ChatMessage, me: number, viewing: boolean): Conversation[] {
  const current = list.find((c) => c.conversation_id === m.conversation_id);
  if (current && m.seq <= current.max_seq) return list as Conversation[];
  const counts = m.sender_id !== me && !viewing && !isRecallEvent(m);
  const base: Conversation = current ?? {
    conversation_id: m.conversation_id,
    kind: m.kind,
    target_id: targetOf(m, me),
    last_message: null,
    max_seq: 0,
    read_seq: 0,
    unread: 0,
    last_activity_ms: 0,
  };
  const mine = m.sender_id === me;
  const next: Conversation = {
    ...base,
    last_message: m,
    max_seq: m.seq,
    last_activity_ms: Math.max(base.last_activity_ms, m.server_time_ms),
    unread: counts ? base.unread + 1 : base.unread,
    // My own message moves my read cursor: I have seen everything I sent.
    read_seq: mine ? Math.max(base.read_seq, m.seq) : base.read_seq,
  };
  return sortByActivity([...list.filter((c) => c !== current), next]);
}

/**
 * The list as GET /conversations answered it, with what arrived while the request was in flight
 * applied again on top: a message pushed after the server took its snapshot counts (once: a seq
 * the answer already has changes nothing). A conversation the answer does not have (only a push
 * made it, or it is beyond the page), or has at a lower seq than this client knows, is kept as
 * this client knows it.
 */
export function mergeListAnswer(
  local: readonly Conversation[],
  answer: readonly Conversation[],
  arrived: readonly ChatMessage[],
  me: number,
  viewing: (conversationId: string) => boolean,
): Conversation[] {
  const ids = new Set(answer.map((c) => c.conversation_id));
  let list = sortByActivity([...answer, ...local.filter((c) => !ids.has(c.conversation_id))]);
  for (const m of arrived) if (ids.has(m.conversation_id)) list = applyMessage(list, m, me, viewing(m.conversation_id));
  const behind = local.filter((c) => (list.find((x) => x.conversation_id === c.conversation_id)?.max_seq ?? 0) < c.max_seq);
  if (behind.length === 0) return list;
  const kept = new Set(behind.map((c) => c.conversation_id));
  return sortByActivity([...list.filter((c) => !kept.has(c.conversation_id)), ...behind]);
}

/** My read cursor moved (read_ack, or a read_receipt from my other session). */
export function applyRead(list: readonly Conversation[], conversationId: string, readSeq: number, unread?: number): Conversation[] {
  return list.map((c) => {
    if (c.conversation_id !== conversationId || (readSeq < c.read_seq && unread === undefined)) return c;
    const read_seq = Math.max(c.read_seq, readSeq);
    return { ...c, read_seq, unread: unread ?? (read_seq >= c.max_seq ? 0 : c.unread) };
  });
}

export function totalUnread(list: readonly Conversation[]): number {
  return list.reduce((n, c) => n + c.unread, 0);
}
