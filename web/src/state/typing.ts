// Typing indicators (docs/protocol.md, `typing`): mine go out at most every 3 s while I write;
// theirs show for 5 s after their last frame, or until their message arrives.
import { signal } from '@preact/signals';
import { keyedThrottle } from '../logic/throttle';
import type { TypingEventFrame } from '../ws/frames';
import { me, transmit } from './chatStore';

const SEND_EVERY_MS = 3_000;
const SHOW_FOR_MS = 5_000;

/** Who is typing, by conversation id (user ids, in the order they started). */
export const typers = signal<Readonly<Record<string, readonly number[]>>>({});

const outgoing = keyedThrottle(SEND_EVERY_MS);
const expiries = new Map<string, ReturnType<typeof setTimeout>>();

/** Called on every edit of the composer; sends nothing while offline (a stale hint is useless). */
export function composing(conversationId: string): void {
  if (!outgoing.due(conversationId)) return;
  if (transmit({ type: 'typing', conversation_id: conversationId })) outgoing.mark(conversationId);
}

export function stopTyping(conversationId: string, userId: number): void {
  const key = `${conversationId} ${userId}`;
  clearTimeout(expiries.get(key));
  expiries.delete(key);
  const list = typers.value[conversationId];
  if (!list?.includes(userId)) return;
  const rest = list.filter((u) => u !== userId);
  const { [conversationId]: _old, ...others } = typers.value;
  typers.value = rest.length > 0 ? { ...others, [conversationId]: rest } : others;
}

export function onTyping(frame: TypingEventFrame): void {
  if (frame.user_id === me()) return;
  const key = `${frame.conversation_id} ${frame.user_id}`;
  clearTimeout(expiries.get(key));
  expiries.set(key, setTimeout(() => stopTyping(frame.conversation_id, frame.user_id), SHOW_FOR_MS));
  const list = typers.value[frame.conversation_id] ?? [];
  if (!list.includes(frame.user_id)) typers.value = { ...typers.value, [frame.conversation_id]: [...list, frame.user_id] };
}

export function resetTyping(): void {
  for (const timer of expiries.values()) clearTimeout(timer);
  expiries.clear();
  outgoing.reset();
  typers.value = {};
}
