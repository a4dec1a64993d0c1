import { describe, expect, it } from 'vitest';
import { BACKOFF_MAX_MS, backoffDelay } from '../src/logic/backoff';

describe('backoffDelay', () => {
  it('doubles per attempt within [cap/2, cap]', () => {
    expect(backoffDelay(0, () => 0)).toBe(125);
    expect(backoffDelay(0, () => 1)).toBe(250);
    expect(backoffDelay(3, () => 0)).toBe(1000);
    expect(backoffDelay(3, () => 1)).toBe(2000);
  });

  it('never exceeds the maximum, however many attempts', () => {
    for (const attempt of [5, 10, 100, 10_000]) {
      expect(backoffDelay(attempt, () => 1)).toBe(BACKOFF_MAX_MS);
      expect(backoffDelay(attempt, () => 0)).toBe(BACKOFF_MAX_MS / 2);
    }
  });

  it('jitters', () => {
    const values = new Set(Array.from({ length: 20 }, () => backoffDelay(4)));
    expect(values.size).toBeGreaterThan(1);
  });
});
