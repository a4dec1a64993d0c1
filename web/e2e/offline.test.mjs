// Messages that arrive while the user is offline: 200 of them, the exact unread count, the
// newest on opening, and every one of them (once, in order) on the way up the virtualised list.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { scrollToTopCollecting } from './messageScroll.mjs';
import { browserForFile, eventually, rest, restBefriend, restUser, signIn, tid, visible } from './helpers.mjs';

const run = Date.now().toString(36);
const COUNT = 200;
const open = browserForFile();

test('200 messages sent while offline: badge, newest first, all of them once in order', { timeout: 150_000 }, async () => {
  const [a, b] = await Promise.all([restUser(`oa_${run}`), restUser(`ob_${run}`)]);
  await restBefriend(a, b);
  const conversation = a.id < b.id ? `d:${a.id}:${b.id}` : `d:${b.id}:${a.id}`;
  // One after another, so that seq order is the order of the texts.
  for (let i = 1; i <= COUNT; i++) {
    await rest('POST', '/messages', {
      token: a.token,
      body: { kind: 'direct', target_id: b.id, client_msg_id: `o${i}-${run}`, content: { type: 'text', text: `offline ${i}` } },
    });
  }

  const u = await open();
  await signIn(u.page, b.username, b.password);
  const item = await visible(u.page.locator(`[data-testid="conversation-item"][data-conversation-id="${conversation}"]`), 'the conversation');
  await eventually('the unread badge', async () => assert.equal((await item.getByTestId('unread-badge').textContent())?.trim(), String(COUNT)));
  await item.click();
  await visible(u.page.locator('[data-testid="message"]').filter({ hasText: `offline ${COUNT}` }), 'the newest message');
  await eventually('the badge cleared', async () => assert.equal(await item.getByTestId('unread-badge').count(), 0));
  // Virtualised: far fewer rows in the DOM than the page of 50 that was loaded.
  assert.ok((await u.page.getByTestId('message').count()) < 50, 'only the rows near the viewport are rendered');

  const all = await scrollToTopCollecting(u.page);
  assert.deepEqual(
    all.map((m) => m.text),
    Array.from({ length: COUNT }, (_, i) => `offline ${i + 1}`),
  );
  assert.equal(await tid(u.page, 'message-list').getAttribute('data-rows'), String(COUNT));
  await visible(u.page.getByTestId('message-text').filter({ hasText: /^offline 1$/ }), 'the first message at the top');
  assert.deepEqual(u.problems, []);
  await u.context.close();
});
