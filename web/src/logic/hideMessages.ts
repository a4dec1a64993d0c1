// "Delete for me": the server hides the messages from my pulls from now on; the loaded timeline
// drops them at once. Their seqs stay counted in `contiguous` (no gap is pulled for them) and
// `oldest` stays put (older pages start below what was loaded, not below what is left).
import type { Timeline } from './timeline';

export function hideMessages(t: Timeline, seqs: readonly number[]): Timeline {
  const gone = new Set(seqs);
  if (!t.messages.some((m) => gone.has(m.seq))) return t;
  return { ...t, messages: t.messages.filter((m) => !gone.has(m.seq)) };
}
