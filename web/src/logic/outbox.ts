// Sends that the server has not acknowledged yet. They are kept (with their client_msg_id)
// across reconnects and sent again: `send` is idempotent on client_msg_id, so a send that was
// stored before the connection dropped comes back as `duplicate` and is not stored twice.
import type { Content, ConversationKind } from '../api/types';

export type Pending = {
  client_msg_id: string;
  conversation_id: string;
  kind: ConversationKind;
  target_id: number;
  content: Content;
  created_ms: number;
  state: 'sending' | 'failed';
  error?: string;
};

export type Outbox = readonly Pending[];

/** The status shown under one of my messages. */
export type OwnStatus = 'sending' | 'failed' | 'sent' | 'read';

export function newClientMsgId(random: () => string = () => crypto.randomUUID()): string {
  // At most 64 characters (SendRequest.client_msg_id); a UUID is unique per sender.
  return `w-${random()}`;
}

export function addPending(outbox: Outbox, p: Pending): Outbox {
  return outbox.some((q) => q.client_msg_id === p.client_msg_id) ? outbox : [...outbox, p];
}

/** Drops a send once it is acked (or seen as a stored message). */
export function removePending(outbox: Outbox, clientMsgId: string): Outbox {
  return outbox.some((p) => p.client_msg_id === clientMsgId) ? outbox.filter((p) => p.client_msg_id !== clientMsgId) : outbox;
}

export function failPending(outbox: Outbox, clientMsgId: string, error: string): Outbox {
  return outbox.map((p) => (p.client_msg_id === clientMsgId ? { ...p, state: 'failed', error } : p));
}

export function retryPending(outbox: Outbox, clientMsgId: string): Outbox {
  return outbox.map((p) => (p.client_msg_id === clientMsgId ? { ...p, state: 'sending', error: undefined } : p));
}

/** What goes out again after a reconnect: everything still in flight, oldest first (keeps order). */
export function toResend(outbox: Outbox): Pending[] {
  return outbox.filter((p) => p.state === 'sending').sort((a, b) => a.created_ms - b.created_ms);
}

/** A stored own message is "read" once the peer's read cursor reached its seq. */
export function storedStatus(seq: number, peerReadSeq: number): OwnStatus {
  return seq <= peerReadSeq ? 'read' : 'sent';
}

/**
 * An outbox kept in sessionStorage across a reload, read back: only well-formed sends (anything
 * else is dropped, not trusted), in their order. A send is idempotent on its client_msg_id, so
 * one that the server stored just before the reload answers `duplicate` and shows once.
 */
export function parseOutbox(raw: string | null): Outbox {
  if (!raw) return [];
  let list: unknown;
  try {
    list = JSON.parse(raw);
  } catch {
    return [];
  }
  if (!Array.isArray(list)) return [];
  return list.filter(
    (p): p is Pending =>
      !!p &&
      typeof p === 'object' &&
      typeof p.client_msg_id === 'string' &&
      typeof p.conversation_id === 'string' &&
      (p.kind === 'direct' || p.kind === 'group') &&
      typeof p.target_id === 'number' &&
      !!p.content &&
      typeof p.content === 'object' &&
      typeof p.created_ms === 'number' &&
      (p.state === 'sending' || p.state === 'failed'),
  );
}

/** What a refused send means for the outbox. */
export type SendErrorAction = { do: 'retry'; afterMs: number } | { do: 'fail' };

/** The longest wait between two tries of a send answered `unavailable`. */
const UNAVAILABLE_MAX_MS = 5000;

/**
 * `unavailable`: maybe stored, maybe not; the same send goes again (the server stores it once
 * and answers `duplicate` if it was), after 250 ms doubling up to 5 s with each `attempt` (0 for
 * the first refusal), for as long as it shows as sending: a restarting message service answers
 * `unavailable` for a few seconds while the WebSocket stays open, so no hello would resend it.
 * `rate_limited`: nothing was stored; the same send goes again once the server says it may
 * (`retry_after_s`, at least a second), so a burst of sends arrives a little late, not failed.
 * Anything else is final and shown on the message.
 */
export function sendErrorAction(code: string, retryAfterS?: number, attempt = 0): SendErrorAction {
  if (code === 'unavailable') return { do: 'retry', afterMs: Math.min(UNAVAILABLE_MAX_MS, 250 * 2 ** Math.min(attempt, 5)) };
  if (code === 'rate_limited') return { do: 'retry', afterMs: Math.max(1, Math.ceil(retryAfterS ?? 1)) * 1000 };
  return { do: 'fail' };
}
