// Recall (my own message, within the server's window) and delete for me. The REST answer is
// applied at once; the `recall` frame that follows for everyone else blanks it there.
import { signal } from '@preact/signals';
import { api, call } from '../api/client';
import type { ChatMessage } from '../api/types';
import { hideMessages } from '../logic/hideMessages';
import { batches, toggleSeq } from '../logic/selection';
import { applyRecall } from '../logic/timeline';
import { conversations, me, setTimeline, timeline } from './chatStore';

/** The message service's default `--recall-window`; past it the button goes (the server decides). */
export const RECALL_WINDOW_MS = 2 * 60_000;

export function canRecall(m: Pick<ChatMessage, 'sender_id' | 'server_time_ms' | 'content'>, now = Date.now()): boolean {
  return m.sender_id === me() && m.content.type !== 'recalled' && now - m.server_time_ms < RECALL_WINDOW_MS;
}

/** The conversation list's preview shows "recalled" too when it was the last message. */
export function blankPreview(id: string, seq: number, recalledAtMs: number): void {
  conversations.value = conversations.value.map((c) =>
    c.conversation_id === id && c.last_message?.seq === seq
      ? { ...c, last_message: { ...c.last_message, content: { type: 'recalled', recalled_at_ms: recalledAtMs, recalled_seq: seq } } }
      : c,
  );
}

export async function recall(id: string, seq: number): Promise<void> {
  await call(api.POST('/conversations/{conversation_id}/messages/{seq}/recall', { params: { path: { conversation_id: id, seq } } }));
  const now = Date.now();
  setTimeline(id, applyRecall(timeline(id), seq, now));
  blankPreview(id, seq, now);
}

/** Hides messages from me (the server's pulls leave them out from now on) and from this timeline. */
export async function deleteForMe(id: string, seqs: readonly number[]): Promise<void> {
  for (const part of batches(seqs)) {
    await call(api.POST('/conversations/{conversation_id}/messages/delete-for-me', { params: { path: { conversation_id: id } }, body: { seqs: part } }));
    setTimeline(id, hideMessages(timeline(id), part));
  }
}

/** Messages chosen in the open chat to delete together, or null when not choosing. */
export const selection = signal<{ id: string; seqs: ReadonlySet<number> } | null>(null);

export function startSelecting(id: string): void {
  selection.value = { id, seqs: new Set() };
}

export function stopSelecting(): void {
  selection.value = null;
}

export function toggleSelected(seq: number): void {
  const s = selection.value;
  if (s) selection.value = { id: s.id, seqs: toggleSeq(s.seqs, seq) };
}

export async function deleteSelected(): Promise<void> {
  const s = selection.value;
  if (!s || s.seqs.size === 0) return;
  await deleteForMe(s.id, [...s.seqs]);
  stopSelecting();
}
