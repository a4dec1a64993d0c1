// The message service dies (kill -9) and comes back while both pages stay connected: the
// gateways answer the sends made meanwhile `unavailable`, and the page must send them again by
// itself (no hello comes to resend them: the WebSocket never closed). Every message reaches the
// reader once, in order, and none stays "sending".
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { scrollToTopCollecting } from './messageScroll.mjs';
import { eventually, friendsInChat, launch, shot, tid, visible } from './helpers.mjs';
import { stackUp } from './stack.mjs';

const run = Date.now().toString(36);
const RUN_DIR = process.env.CHAT_RUN_DIR ?? join(homedir(), '.cache', 'chat-cluster', 'run');
const RECOVERY_MS = 30_000;
const FILE_MS = 175_000;
const TEST_MS = 90_000;
// While the message service is away, the page's REST calls through the gateways (marking the
// chat read) fail with 503: Chromium logs each as a console error. Nothing else is expected.
const expectedDuringOutage = (text) => text === 'Failed to load resource: the server responded with a status of 503 (Service Unavailable)';

let browser;
let killed = false;
let restarted = false;
before(async () => {
  browser = await launch();
});
const fileStart = Date.now();
after(async () => {
  await browser?.close();
  if (!killed || restarted) return;
  // The test failed before it restarted the service: bring it back for the next file.
  const { code, output } = await stackUp(FILE_MS - (Date.now() - fileStart) - 3_000);
  if (code !== 0) throw new Error(`cargo xtask up exited ${code}:\n${output.slice(-2000)}`);
}, { timeout: FILE_MS });

test('kill -9 of the message service: sends made meanwhile go again by themselves, each once', { timeout: TEST_MS }, async () => {
  const { ua, ub } = await friendsInChat(browser, 'm', run);
  let sent = 0;
  const say = async () => {
    sent += 1;
    await tid(ua.page, 'composer-input').fill(`restart ${sent}`);
    await tid(ua.page, 'composer-input').press('Enter');
  };
  const atB = (n, ms) => visible(ub.page.getByTestId('message-text').filter({ hasText: new RegExp(`^restart ${n}$`) }), `message ${n} at B`, ms);
  await say();
  await say();
  await atB(2);

  const pid = Number(readFileSync(join(RUN_DIR, 'pids', 'message.pid'), 'utf8').trim());
  killed = true;
  process.kill(pid, 'SIGKILL');
  for (let i = 0; i < 3; i++) await say();
  await eventually('A shows the outage sends as sending', async () =>
    assert.equal(await ua.page.locator('[data-testid="message"][data-status="sending"]').count(), 3));
  await shot(ua.page, 'message-restart-sending.png');

  const { code, output } = await stackUp(60_000);
  assert.equal(code, 0, `cargo xtask up:\n${output.slice(-2000)}`);
  restarted = true;
  await atB(sent, RECOVERY_MS);
  await eventually('A: every send stored', async () =>
    assert.equal(await ua.page.locator('[data-testid="message"][data-status="sending"]').count(), 0),
  RECOVERY_MS);
  await shot(ua.page, 'message-restart-sent.png');

  const texts = (await scrollToTopCollecting(ub.page, 20_000)).map((m) => m.text);
  assert.deepEqual(texts, ['start', ...Array.from({ length: sent }, (_, i) => `restart ${i + 1}`)]);
  for (const u of [ua, ub]) {
    assert.deepEqual(u.problems.filter((p) => !(p.startsWith('console: ') && expectedDuringOutage(p.slice('console: '.length)))), []);
  }
  await ua.context.close();
  await ub.context.close();
});
