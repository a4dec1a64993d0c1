// Reading a virtualised message list: only the rows near the viewport are in the DOM, so a test
// scrolls from the bottom to the top and collects what each screen showed.
import assert from 'node:assert/strict';
import { tid } from './helpers.mjs';

/** The rows in the DOM now, top to bottom: [{ seq, text }]. */
async function renderedRows(page) {
  return tid(page, 'message-list').evaluate((el) =>
    Array.from(el.querySelectorAll('[data-testid="message"]')).map((m) => ({
      seq: Number(m.getAttribute('data-seq')),
      text: m.querySelector('[data-testid="message-text"]')?.textContent ?? '',
    })),
  );
}

/**
 * Scrolls the open conversation up to its first message (older pages load on the way) and
 * returns every stored message seen, in seq order. Each screen must show ascending seqs with
 * none twice, and a seq must show the same text every time it is seen. Bounded by `ms`.
 */
export async function scrollToTopCollecting(page, ms = 60_000) {
  const seen = new Map();
  const deadline = Date.now() + ms;
  for (;;) {
    const rows = await renderedRows(page);
    for (let i = 1; i < rows.length; i++) assert.ok(rows[i].seq > rows[i - 1].seq, `rows out of order or repeated: ${rows[i - 1].seq} then ${rows[i].seq}`);
    for (const r of rows) {
      if (seen.has(r.seq)) assert.equal(r.text, seen.get(r.seq), `seq ${r.seq} changed text`);
      seen.set(r.seq, r.text);
    }
    const state = await tid(page, 'message-list').evaluate((el) => {
      const before = el.scrollTop;
      el.scrollTop = Math.max(0, el.scrollTop - el.clientHeight * 0.8);
      return { atTop: before === 0, more: !!el.querySelector('[data-testid="load-older"]') };
    });
    if (state.atTop && !state.more) break;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms scrolling to the first message (${seen.size} seen)`);
    // Let the scroll render (and an older page arrive when at the top).
    await page.waitForTimeout(state.atTop ? 150 : 30);
  }
  return [...seen.entries()].sort((a, b) => a[0] - b[0]).map(([seq, text]) => ({ seq, text }));
}
