import { describe, expect, it } from 'vitest';
import { batches, toggleSeq } from '../src/logic/selection';

describe('choosing messages', () => {
  it('toggles a seq in and out without touching the original set', () => {
    const none = new Set<number>();
    const one = toggleSeq(none, 5);
    expect([...one]).toEqual([5]);
    expect(none.size).toBe(0);
    expect([...toggleSeq(toggleSeq(one, 7), 5)]).toEqual([7]);
  });

  it('sends ascending, distinct seqs in batches the API takes', () => {
    expect(batches([3, 1, 2, 3])).toEqual([[1, 2, 3]]);
    expect(batches([])).toEqual([]);
    const many = Array.from({ length: 450 }, (_, i) => 450 - i);
    const parts = batches(many);
    expect(parts.map((p) => p.length)).toEqual([200, 200, 50]);
    expect(parts[0]![0]).toBe(1);
    expect(parts[2]![49]).toBe(450);
  });
});
