// History: the newest page first, older pages while scrolling up, each message once, in order.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { browserForFile, eventually, rest, restBefriend, restUser, signIn, tid, visible } from './helpers.mjs';
import { scrollToTopCollecting } from './messageScroll.mjs';

const run = Date.now().toString(36);
const COUNT = 120;
const open = browserForFile();

test('scrolling up pages older messages with ?before=', { timeout: 120_000 }, async () => {
  const [me, peer] = await Promise.all([restUser(`hme_${run}`), restUser(`hpeer_${run}`)]);
  await restBefriend(me, peer);
  for (let i = 1; i <= COUNT; i++) {
    await rest('POST', '/messages', {
      token: peer.token,
      body: { kind: 'direct', target_id: me.id, client_msg_id: `h${i}-${run}`, content: { type: 'text', text: `line ${i}` } },
    });
  }

  const u = await open();
  await signIn(u.page, me.username, me.password);
  const conv = await visible(tid(u.page, 'conversation-item'), 'the conversation');
  await eventually('the unread count', async () => assert.equal((await conv.getByTestId('unread-badge').textContent())?.trim(), String(COUNT)));
  await conv.click();
  await visible(u.page.locator('[data-testid="message"]').filter({ hasText: `line ${COUNT}` }), 'the newest message');
  // The newest page (50) is loaded; the list is virtualised, so its row count says so, not the DOM.
  assert.equal(await tid(u.page, 'message-list').getAttribute('data-rows'), '50');

  // Scroll to the top until everything is there (two more pages of 50 and 20).
  const texts = (await scrollToTopCollecting(u.page, 20_000)).map((m) => m.text);
  assert.deepEqual(
    texts,
    Array.from({ length: COUNT }, (_, i) => `line ${i + 1}`),
  );
  assert.equal(await tid(u.page, 'message-list').getAttribute('data-rows'), String(COUNT));
  assert.equal(await tid(u.page, 'load-older').count(), 0);
  assert.deepEqual(u.problems, []);
  await u.context.close();
});
