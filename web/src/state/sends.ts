// My sends: into the outbox, out as `send` frames, and again after a reconnect with the same
// client_msg_id until acked (the ack itself is merged by chat.ts like any message).
import { effect, signal } from '@preact/signals';
import type { Content } from '../api/types';
import { peerOf } from '../logic/conversationId';
import { addPending, failPending, newClientMsgId, parseOutbox, retryPending, sendErrorAction, toResend, type Pending } from '../logic/outbox';
import type { ErrorFrame } from '../ws/frames';
import { conversations, me, outbox, transmit } from './chatStore';

/** My newest send from this page: the open chat scrolls to it. */
export const lastSend = signal<{ conversationId: string; clientMsgId: string } | null>(null);

function transmitPending(p: Pending): void {
  transmit({ type: 'send', client_msg_id: p.client_msg_id, kind: p.kind, target_id: p.target_id, content: p.content });
}

/** Sends a text; it shows as "sending" until the ack, and waits in the outbox while offline. */
export function sendText(id: string, text: string): void {
  sendContent(id, { type: 'text', text });
}

/** Sends any content (a text, or an uploaded picture, file or voice note) through the outbox. */
export function sendContent(id: string, content: Content): void {
  const c = conversations.value.find((x) => x.conversation_id === id);
  const kind = id.startsWith('g:') ? 'group' : 'direct';
  const target = kind === 'direct' ? peerOf(id, me()) : Number(id.slice(2));
  if (target === null || !Number.isFinite(target)) return;
  const p: Pending = {
    client_msg_id: newClientMsgId(),
    conversation_id: id,
    kind: c?.kind ?? kind,
    target_id: target,
    content,
    created_ms: Date.now(),
    state: 'sending',
  };
  outbox.value = addPending(outbox.value, p);
  lastSend.value = { conversationId: id, clientMsgId: p.client_msg_id };
  transmitPending(p);
}

export function retry(clientMsgId: string): void {
  outbox.value = retryPending(outbox.value, clientMsgId);
  const p = outbox.value.find((x) => x.client_msg_id === clientMsgId);
  if (p) transmitPending(p);
}

/** After a hello: every unacked send again, oldest first (the server keeps their order). */
export function resendAll(): void {
  for (const p of toResend(outbox.value)) transmitPending(p);
}

/** Refusals of each unacked send so far: the exponent of its next wait. */
const refusals = new Map<string, number>();

export function onSendError(frame: ErrorFrame): void {
  const id = frame.client_msg_id;
  if (!id) return;
  const attempt = refusals.get(id) ?? 0;
  const action = sendErrorAction(frame.code, frame.retry_after_s, attempt);
  if (action.do === 'fail') {
    refusals.delete(id);
    outbox.value = failPending(outbox.value, id, frame.message);
  }
  if (action.do === 'retry') {
    refusals.set(id, attempt + 1);
    setTimeout(() => {
      const p = outbox.value.find((x) => x.client_msg_id === id && x.state === 'sending');
      if (p) transmitPending(p);
      else refusals.delete(id); // acked (or failed) meanwhile
    }, action.afterMs);
  }
}

const outboxKey = (userId: number) => `chat.outbox.${userId}`;

/**
 * Keeps this tab's unacked sends in sessionStorage (this tab, this origin, like the token), so a
 * reload sends them again after its hello instead of losing them. Reads them back at once;
 * returns the function that stops keeping them.
 */
export function keepOutbox(userId: number): () => void {
  outbox.value = parseOutbox(sessionStorage.getItem(outboxKey(userId)));
  return effect(() => {
    const list = outbox.value;
    try {
      if (list.length > 0) sessionStorage.setItem(outboxKey(userId), JSON.stringify(list));
      else sessionStorage.removeItem(outboxKey(userId));
    } catch {
      // Storage full or refused: the sends still go, they just would not survive a reload.
    }
  });
}
