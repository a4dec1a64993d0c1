// Choosing several messages (to delete them for me at once): a set of seqs, and the batches the
// API takes (1-200 seqs per call).
export const MAX_SEQS_PER_CALL = 200;

export function toggleSeq(seqs: ReadonlySet<number>, seq: number): Set<number> {
  const next = new Set(seqs);
  if (!next.delete(seq)) next.add(seq);
  return next;
}

/** Ascending seqs in batches of at most `size`. */
export function batches(seqs: Iterable<number>, size = MAX_SEQS_PER_CALL): number[][] {
  const sorted = [...new Set(seqs)].sort((a, b) => a - b);
  const out: number[][] = [];
  for (let i = 0; i < sorted.length; i += size) out.push(sorted.slice(i, i + size));
  return out;
}
