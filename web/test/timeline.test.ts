import { describe, expect, it } from 'vitest';
import {
  applyAfterPage,
  applyNewestPage,
  applyOlderPage,
  applyRecall,
  emptyTimeline,
  gapAfter,
  isRecallEvent,
  mergeMessages,
} from '../src/logic/timeline';
import { msg } from './fixtures';

const seqs = (t: { messages: readonly { seq: number }[] }) => t.messages.map((m) => m.seq);

describe('timeline', () => {
  it('loads the newest page in seq order and knows everything up to max_seq', () => {
    const t = applyNewestPage(emptyTimeline, { messages: [msg(5), msg(4), msg(3)], has_more: true, max_seq: 5 });
    expect(seqs(t)).toEqual([3, 4, 5]);
    expect(t.contiguous).toBe(5);
    expect(t.oldest).toBe(3);
    expect(t.hasOlder).toBe(true);
    expect(gapAfter(t)).toBeNull();
  });

  it('drops repeats by seq (a push racing a pull is shown once)', () => {
    let t = applyNewestPage(emptyTimeline, { messages: [msg(1), msg(2)], has_more: false, max_seq: 2 });
    t = mergeMessages(t, [msg(3)]);
    const again = mergeMessages(t, [msg(3), msg(2)]);
    expect(again).toBe(t);
    expect(seqs(t)).toEqual([1, 2, 3]);
    expect(t.contiguous).toBe(3);
  });

  it('detects a gap and closes it with an after-pull', () => {
    let t = applyNewestPage(emptyTimeline, { messages: [msg(1), msg(2)], has_more: false, max_seq: 2 });
    t = mergeMessages(t, [msg(5)]);
    expect(gapAfter(t)).toBe(2);
    t = applyAfterPage(t, { messages: [msg(3), msg(4), msg(5)], has_more: false, max_seq: 5 });
    expect(seqs(t)).toEqual([1, 2, 3, 4, 5]);
    expect(gapAfter(t)).toBeNull();
  });

  it('does not pull the same gap forever when the server skips seqs (deleted for me)', () => {
    let t = applyNewestPage(emptyTimeline, { messages: [msg(1)], has_more: false, max_seq: 1 });
    t = mergeMessages(t, [msg(4)]);
    expect(gapAfter(t)).toBe(1);
    t = applyAfterPage(t, { messages: [msg(4)], has_more: false, max_seq: 4 });
    expect(gapAfter(t)).toBeNull();
    expect(t.contiguous).toBe(4);
  });

  it('keeps the gap open while an after-pull has more pages', () => {
    let t = applyNewestPage(emptyTimeline, { messages: [msg(1)], has_more: false, max_seq: 1 });
    t = mergeMessages(t, [msg(9)]);
    t = applyAfterPage(t, { messages: [msg(2), msg(3)], has_more: true, max_seq: 9 });
    expect(gapAfter(t)).toBe(3);
  });

  it('reports no gap before the newest page is loaded', () => {
    const t = mergeMessages(emptyTimeline, [msg(7)]);
    expect(gapAfter(t)).toBeNull();
  });

  it('prepends older pages and stops when the server has no more', () => {
    let t = applyNewestPage(emptyTimeline, { messages: [msg(4), msg(3)], has_more: true, max_seq: 4 });
    t = applyOlderPage(t, { messages: [msg(2), msg(1)], has_more: false, max_seq: 4 });
    expect(seqs(t)).toEqual([1, 2, 3, 4]);
    expect(t.hasOlder).toBe(false);
    expect(t.oldest).toBe(1);
  });

  it('blanks a recalled message, from a recall event or a recall frame', () => {
    let t = applyNewestPage(emptyTimeline, { messages: [msg(1), msg(2)], has_more: false, max_seq: 2 });
    const event = msg(3, { content: { type: 'recalled', recalled_at_ms: 5, recalled_seq: 1 } });
    expect(isRecallEvent(event)).toBe(true);
    t = mergeMessages(t, [event]);
    expect(t.messages[0]?.content.type).toBe('recalled');
    expect(t.contiguous).toBe(3);
    t = applyRecall(t, 2, 6);
    expect(t.messages[1]?.content).toEqual({ type: 'recalled', recalled_at_ms: 6, recalled_seq: 2 });
  });
});
