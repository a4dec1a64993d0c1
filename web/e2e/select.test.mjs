// Deleting several messages at once: choose three of six (one from the keyboard), delete them
// for me after a confirmation; they go at once, stay gone after a reload (the server hides them
// from my pulls), and the peer still has all six.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { browserForFile, eventually, rest, restBefriend, restUser, shot, signIn, tid, visible } from './helpers.mjs';

const run = Date.now().toString(36);
const open = browserForFile();

test('choose several messages and delete them for me', { timeout: 120_000 }, async () => {
  const [a, b] = await Promise.all([restUser(`sel_a_${run}`), restUser(`sel_b_${run}`)]);
  await restBefriend(a, b);
  const conversation = a.id < b.id ? `d:${a.id}:${b.id}` : `d:${b.id}:${a.id}`;
  for (let i = 1; i <= 6; i++) {
    await rest('POST', '/messages', { token: b.token, body: { kind: 'direct', target_id: a.id, client_msg_id: `sel-${i}-${run}`, content: { type: 'text', text: `m${i}` } } });
  }
  const u = await open();
  const { page } = u;
  await signIn(page, a.username, a.password);
  const openChat = async () => {
    await (await visible(page.locator(`[data-testid="conversation-item"][data-conversation-id="${conversation}"]`), 'the conversation')).click();
    await visible(page.locator('[data-testid="message"]').filter({ hasText: 'm6' }), 'the newest message');
  };
  await openChat();
  const texts = () => page.getByTestId('message-text').allInnerTexts();
  const row = (text) => page.locator('[data-testid="message"]').filter({ has: page.getByText(text, { exact: true }) });

  // Choose: the composer gives way to the selection bar, each message gets a checkbox.
  await tid(page, 'select-toggle').click();
  assert.equal(await tid(page, 'select-toggle').getAttribute('aria-pressed'), 'true');
  await visible(tid(page, 'selection-bar'), 'the selection bar');
  assert.equal(await tid(page, 'composer-input').count(), 0);
  assert.equal(await page.getByTestId('message-select').count(), 6);
  await row('m2').getByTestId('message-select').click();
  await row('m3').getByTestId('message-select').click();
  await row('m5').getByTestId('message-select').focus();
  await page.keyboard.press('Space');
  await row('m6').getByTestId('message-select').click();
  await row('m6').getByTestId('message-select').click();
  await eventually('three chosen', async () => assert.equal(await tid(page, 'selection-count').textContent(), '3 selected'));
  assert.equal(await row('m5').getAttribute('data-selected'), 'true');
  assert.equal(await row('m6').getAttribute('data-selected'), 'false');
  await shot(page, 'select.png');

  // Delete them for me, after the question.
  await tid(page, 'delete-selected').click();
  await tid(page, 'delete-selected-confirm').click();
  await eventually('the three gone', async () => assert.deepEqual(await texts(), ['m1', 'm4', 'm6']));
  await visible(tid(page, 'composer-input'), 'the composer back');
  assert.equal(await tid(page, 'select-toggle').getAttribute('aria-pressed'), 'false');
  assert.equal(await page.getByTestId('message-select').count(), 0);

  // Escape stops choosing too.
  await tid(page, 'select-toggle').click();
  await visible(tid(page, 'selection-bar'), 'the selection bar again');
  await page.keyboard.press('Escape');
  await visible(tid(page, 'composer-input'), 'the composer after Escape');

  // Gone for me on the server as well; the peer keeps all six.
  await page.reload({ waitUntil: 'load' });
  await visible(tid(page, 'current-user'), 'still signed in after the reload');
  await openChat();
  assert.deepEqual(await texts(), ['m1', 'm4', 'm6']);
  const mine = await rest('GET', `/conversations/${conversation}/messages?after=0`, { token: a.token });
  assert.deepEqual(mine.messages.map((m) => m.content.text), ['m1', 'm4', 'm6']);
  const theirs = await rest('GET', `/conversations/${conversation}/messages?after=0`, { token: b.token });
  assert.equal(theirs.messages.length, 6);

  assert.deepEqual(u.problems, []);
  await u.context.close();
});
