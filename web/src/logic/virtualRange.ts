// Geometry of a virtualised list: where each row starts, which row is at a given height, and
// which rows to render around the viewport. Pure functions over numbers, unit tested; the
// component (ui/VirtualList.tsx) owns the DOM and the measuring.

/**
 * Row tops as prefix sums: `offsets[i]` is where row i starts, `offsets[n]` the total height.
 * O(n) per call, which at 10,000 rows is a few tenths of a millisecond: cheaper than keeping a
 * tree of sums correct across prepends.
 */
export function prefixOffsets(count: number, heightAt: (index: number) => number): Float64Array {
  const offsets = new Float64Array(count + 1);
  for (let i = 0; i < count; i++) offsets[i + 1] = offsets[i]! + heightAt(i);
  return offsets;
}

/** The row that contains height `y` (clamped to the first and last row; 0 when empty). */
export function indexAt(offsets: Float64Array, y: number): number {
  const count = offsets.length - 1;
  if (count <= 0) return 0;
  let lo = 0;
  let hi = count - 1;
  // The last row whose top is at or above y.
  while (lo < hi) {
    const mid = (lo + hi + 1) >> 1;
    if (offsets[mid]! <= y) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

export type Range = { start: number; end: number };

/** Rows that intersect [from, to), end exclusive; empty when there are no rows. */
export function rangeFor(offsets: Float64Array, from: number, to: number): Range {
  const count = offsets.length - 1;
  if (count <= 0) return { start: 0, end: 0 };
  return { start: indexAt(offsets, from), end: Math.min(count, indexAt(offsets, Math.max(from, to)) + 1) };
}

/** Whether the rendered rows still cover [from, to) (else it is time to render a new range). */
export function covers(offsets: Float64Array, rendered: Range, from: number, to: number): boolean {
  const count = offsets.length - 1;
  const top = offsets[rendered.start] ?? 0;
  const bottom = offsets[rendered.end] ?? 0;
  return (rendered.start === 0 || top <= Math.max(0, from)) && (rendered.end === count || bottom >= Math.min(offsets[count]!, to));
}
