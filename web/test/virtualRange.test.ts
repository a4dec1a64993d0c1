import { describe, expect, it } from 'vitest';
import { covers, indexAt, prefixOffsets, rangeFor } from '../src/logic/virtualRange';

const heights = [10, 20, 30, 40];
const offsets = prefixOffsets(heights.length, (i) => heights[i]!);

describe('virtual list geometry', () => {
  it('prefix sums row tops and the total', () => {
    expect(Array.from(offsets)).toEqual([0, 10, 30, 60, 100]);
  });

  it('finds the row at a height, clamped to the ends', () => {
    expect(indexAt(offsets, -5)).toBe(0);
    expect(indexAt(offsets, 0)).toBe(0);
    expect(indexAt(offsets, 9.9)).toBe(0);
    expect(indexAt(offsets, 10)).toBe(1);
    expect(indexAt(offsets, 59)).toBe(2);
    expect(indexAt(offsets, 500)).toBe(3);
    expect(indexAt(prefixOffsets(0, () => 1), 5)).toBe(0);
  });

  it('ranges the rows that intersect a window', () => {
    expect(rangeFor(offsets, 15, 35)).toEqual({ start: 1, end: 3 });
    expect(rangeFor(offsets, -100, 1000)).toEqual({ start: 0, end: 4 });
    expect(rangeFor(prefixOffsets(0, () => 1), 0, 10)).toEqual({ start: 0, end: 0 });
  });

  it('knows when the rendered rows still cover the viewport', () => {
    expect(covers(offsets, { start: 1, end: 3 }, 12, 50)).toBe(true);
    expect(covers(offsets, { start: 1, end: 3 }, 5, 50)).toBe(false);
    expect(covers(offsets, { start: 1, end: 3 }, 12, 70)).toBe(false);
    expect(covers(offsets, { start: 0, end: 4 }, -50, 500)).toBe(true);
  });

  it('stays fast at 10,000 rows', () => {
    const t0 = performance.now();
    const big = prefixOffsets(10_000, (i) => 40 + (i % 7));
    expect(indexAt(big, big[5_000]!)).toBe(5_000);
    expect(performance.now() - t0).toBeLessThan(50);
  });
});
