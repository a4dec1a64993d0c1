// One user in two tabs (two browser contexts, two logins: two WebSocket sessions) and a peer:
// the peer's messages show in both tabs once; what A sends in one tab shows in the other as A's
// own, once; reading in one tab clears the unread badge in the other (the read receipt that
// goes to the reader's other sessions, docs/protocol.md); the peer's receipt reaches both.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { browserForFile, eventually, rest, restBefriend, restUser, shot, signIn, tid, visible } from './helpers.mjs';

const run = Date.now().toString(36);
const open = browserForFile();

/** Every message row's seq, text and side, in screen order (the conversations are short). */
const rows = (page) =>
  page.locator('[data-testid="message"]').evaluateAll((els) =>
    els.map((el) => `${el.getAttribute('data-seq')}:${el.getAttribute('data-mine')}:${el.querySelector('[data-testid="message-text"]')?.textContent}`),
  );

test('two tabs of one user and a peer: once everywhere, reads follow', { timeout: 150_000 }, async () => {
  const [a, b] = await Promise.all([restUser(`tabs_a_${run}`), restUser(`tabs_b_${run}`)]);
  await restBefriend(a, b);
  const conversation = a.id < b.id ? `d:${a.id}:${b.id}` : `d:${b.id}:${a.id}`;
  const fromB = (text) =>
    rest('POST', '/messages', { token: b.token, body: { kind: 'direct', target_id: a.id, client_msg_id: `t-${text.replace(/\W/g, '')}-${run}`, content: { type: 'text', text } } });

  const tab1 = await open();
  const tab2 = await open();
  await signIn(tab1.page, a.username, a.password);
  await signIn(tab2.page, a.username, a.password);
  const item = (page) => page.locator(`[data-testid="conversation-item"][data-conversation-id="${conversation}"]`);
  const badge = (page) => item(page).getByTestId('unread-badge');
  // Read without waiting: a badge that goes between a count and a read must not stall the poll.
  const badgeText = async (page) => ((await badge(page).allTextContents())[0] ?? '').trim();

  // B writes twice while both tabs show the list: both count two unread, the tab title too.
  await fromB('one from B');
  await fromB('two from B');
  for (const tab of [tab1, tab2]) {
    await visible(item(tab.page), 'the conversation in each tab');
    await eventually('two unread in each tab', async () => assert.equal(await badgeText(tab.page), '2'));
    assert.match(await tab.page.title(), /^\(2\) /);
  }

  // Tab 1 reads: tab 2's badge goes without tab 2 doing anything.
  await item(tab1.page).click();
  await visible(tab1.page.locator('[data-testid="message"]').filter({ hasText: 'two from B' }), 'B’s messages in tab 1');
  await eventually('tab 1’s badge gone', async () => assert.equal(await badgeText(tab1.page), ''));
  await eventually('tab 2’s badge gone after the read in tab 1', async () => assert.equal(await badgeText(tab2.page), ''));
  await eventually('tab 2’s title without a count', async () => assert.doesNotMatch(await tab2.page.title(), /^\(/));

  // A sends in tab 1 while tab 2 shows the list: tab 2's preview is A's message, with no badge.
  await tid(tab1.page, 'composer-input').fill('from tab 1');
  await tid(tab1.page, 'composer-input').press('Enter');
  const sent1 = tab1.page.locator('[data-testid="message"][data-mine="true"]').filter({ hasText: 'from tab 1' });
  await eventually('tab 1’s send acked', async () => assert.match((await sent1.first().getAttribute('data-status')) ?? '', /^(sent|read)$/));
  await eventually('tab 1’s message as tab 2’s preview', async () =>
    assert.equal(((await item(tab2.page).getByTestId('conversation-preview').textContent()) ?? '').trim(), '✓ from tab 1'),
  );
  assert.equal(await badgeText(tab2.page), '');

  // Tab 2 opens the chat: it is there as A's own, once.
  await item(tab2.page).click();
  const seen2 = tab2.page.locator('[data-testid="message"]').filter({ hasText: 'from tab 1' });
  await visible(seen2, 'tab 1’s message in tab 2');
  assert.equal(await seen2.count(), 1);
  assert.equal(await seen2.getAttribute('data-mine'), 'true');

  // Both open: A sends in tab 1 again, tab 2 shows it live as A's own, once.
  await tid(tab1.page, 'composer-input').fill('again from tab 1');
  await tid(tab1.page, 'composer-input').press('Enter');
  await visible(tab2.page.locator('[data-testid="message"][data-mine="true"]').filter({ hasText: 'again from tab 1' }), 'tab 1’s live message in tab 2, as mine');
  assert.equal(await tab2.page.locator('[data-testid="message"][data-mine="false"]').filter({ hasText: 'from tab 1' }).count(), 0);

  // And the other way round, then B again.
  await tid(tab2.page, 'composer-input').fill('from tab 2');
  await tid(tab2.page, 'composer-input').press('Enter');
  await visible(tab1.page.locator('[data-testid="message"][data-mine="true"]').filter({ hasText: 'from tab 2' }), 'tab 2’s message in tab 1');
  await fromB('three from B');
  for (const tab of [tab1, tab2]) await visible(tab.page.locator('[data-testid="message"]').filter({ hasText: 'three from B' }), 'B’s third in each tab');

  // B reads everything: both tabs show A's messages read (the peer's receipt goes to every session).
  const history = await rest('GET', `/conversations/${conversation}/messages?after=0`, { token: b.token });
  const last = Math.max(...history.messages.map((m) => m.seq));
  await rest('POST', `/conversations/${conversation}/read`, { token: b.token, body: { seq: last } });
  for (const tab of [tab1, tab2]) {
    await eventually('A’s messages read in each tab', async () => {
      const statuses = await tab.page.locator('[data-testid="message"][data-mine="true"]').evaluateAll((els) => els.map((el) => el.getAttribute('data-status')));
      assert.deepEqual(statuses, ['read', 'read', 'read']);
    });
  }

  // The same six rows in both tabs, each once, in seq order, with the same sides.
  const expected = ['one from B', 'two from B', 'from tab 1', 'again from tab 1', 'from tab 2', 'three from B'];
  const stored = history.messages.map((m) => `${m.seq}:${m.sender_id === a.id}:${m.content.text}`);
  assert.deepEqual(
    stored.map((s) => s.split(':').slice(2).join(':')),
    expected,
  );
  for (const tab of [tab1, tab2]) assert.deepEqual(await rows(tab.page), stored);
  await shot(tab2.page, 'tabs.png');

  for (const tab of [tab1, tab2]) assert.deepEqual(tab.problems, []);
  await tab1.context.close();
  await tab2.context.close();
});
