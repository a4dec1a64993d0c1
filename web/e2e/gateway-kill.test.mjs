// A gateway dies (kill -9) mid-conversation: the reader's page shows the banner, reconnects to
// the gateway that takes over the slot, without a reload, and shows every message once, in order.
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { scrollToTopCollecting } from './messageScroll.mjs';
import { eventually, friendsInChat, launch, tid, visible } from './helpers.mjs';
import { gatewayOf, stack, stackUp, tableSettled } from './stack.mjs';

const run = Date.now().toString(36);
const BEFORE = 5;
const DURING = 10;
const AFTER = 3;
const RECOVERY_MS = 30_000;
// While the dead gateway still owns the slot (until its lease runs out), the browser's
// reconnect attempts fail, and Chromium logs each as a console error: expected here. So is the
// client's token check after a connection that closed before hello (GET /api/v1/me), when
// OpenResty sends it to the dead gateway in that window and answers 502. Nothing else.
const FAILED_WS = /^WebSocket connection to 'ws:\/\/[^']+\/ws\/\d+' failed: /;
const expectedDuringOutage = ({ text, url }) =>
  FAILED_WS.test(text) || (text === 'Failed to load resource: the server responded with a status of 502 (Bad Gateway)' && new URL(url).pathname === '/api/v1/me');

let browser;
let killed = false;
before(async () => {
  browser = await launch();
});
// `cargo xtask up` takes 5-20 s on a built tree, but much longer when it has to build first
// (another cargo run changed what is built) or waits for another cargo's lock. `npm run e2e`
// bounds each file at 180 s (FILE_MS): the restart gets whatever the test left of that, so a
// restart that cannot finish fails here, saying why, instead of the whole file timing out.
const FILE_MS = 175_000;
const TEST_MS = 70_000;
const SETTLE_MS = 12_000;
const fileStart = Date.now();
after(async () => {
  await browser?.close();
  if (!killed) return;
  // Bring the killed gateway back even when the test failed, and let the table settle so the
  // next test does not see its sessions moved.
  const { code, output } = await stackUp(FILE_MS - (Date.now() - fileStart) - SETTLE_MS - 3_000);
  if (code !== 0) throw new Error(`cargo xtask up exited ${code}:\n${output.slice(-2000)}`);
  await tableSettled(stack().gateways.length, SETTLE_MS);
}, { timeout: FILE_MS });

const pause = (ms) => new Promise((r) => setTimeout(r, ms));

test('kill -9 of the reader gateway: banner, recovery without reload, every message once', { timeout: TEST_MS }, async () => {
  // Console errors with where they came from (the helpers keep the text only).
  const consoleErrors = [];
  const { b, ua, ub } = await friendsInChat(browser, 'k', run, (u) =>
    u.page.on('console', (m) => m.type() === 'error' && consoleErrors.push({ text: m.text(), url: m.location().url })));

  let sent = 0;
  const say = async () => {
    sent += 1;
    await tid(ua.page, 'composer-input').fill(`kill ${sent}`);
    await tid(ua.page, 'composer-input').press('Enter');
  };
  const atB = (n) => visible(ub.page.getByTestId('message-text').filter({ hasText: new RegExp(`^kill ${n}$`) }), `message ${n} at B`, RECOVERY_MS);

  for (let i = 0; i < BEFORE; i++) await say();
  await atB(BEFORE);

  // The page must survive the outage as it is: a reload would lose this.
  await ub.page.evaluate(() => {
    window.__beforeKill = 'still here';
  });
  const gw = await gatewayOf(b.id);
  killed = true;
  process.kill(gw.pid, 'SIGKILL');

  await visible(tid(ub.page, 'connection-banner'), 'the reconnecting banner at B');
  for (let i = 0; i < DURING; i++) {
    await say();
    await pause(300);
  }
  await eventually('B back online', async () => assert.equal(await tid(ub.page, 'connection-banner').count(), 0), RECOVERY_MS);
  for (let i = 0; i < AFTER; i++) await say();
  await atB(sent);

  assert.equal(await ub.page.evaluate(() => window.__beforeKill), 'still here', 'B recovered without a reload');
  const texts = (await scrollToTopCollecting(ub.page, 20_000)).map((m) => m.text);
  assert.deepEqual(
    texts,
    ['start', ...Array.from({ length: sent }, (_, i) => `kill ${i + 1}`)],
  );
  assert.equal(await tid(ub.page, 'message-list').getAttribute('data-rows'), String(sent + 1));
  // A's own view: each once, none left unsent.
  await eventually('A: every send stored', async () =>
    assert.equal(await ua.page.locator('[data-testid="message"][data-status="sending"]').count(), 0),
  RECOVERY_MS);

  assert.deepEqual(consoleErrors.filter((e) => !expectedDuringOutage(e)), []);
  for (const u of [ua, ub]) assert.deepEqual(u.problems.filter((p) => !p.startsWith('console: ')), []);
  await ua.context.close();
  await ub.context.close();
});
