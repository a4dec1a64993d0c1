// Two users in two browser contexts: sign up, befriend, chat, and see the read receipt.
// Run against the gateways (default) or a preview server: CHAT_WEB_URL=http://127.0.0.1:4173.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { browserForFile, eventually, shot, signUp, tid, visible } from './helpers.mjs';

const run = Date.now().toString(36);
const alice = { username: `alice_${run}`, nickname: `Alice ${run}`, password: 'correct-horse-1' };
const bob = { username: `bob_${run}`, nickname: `Bob ${run}`, password: 'battery-staple-2' };

const open = browserForFile();

test('two users befriend each other and chat with read receipts', { timeout: 120_000 }, async () => {
  const a = await open();
  // B's browser prefers Chinese: the UI follows navigator.language (the tests use data-testid).
  const b = await open(undefined, 'zh-CN');

  await visible(tid(a.page, 'auth-form'), 'the sign-in form');
  await shot(a.page, 'login.png');
  await signUp(a.page, alice.username, alice.password, alice.nickname);
  await signUp(b.page, bob.username, bob.password, bob.nickname);

  // A finds B and asks.
  await tid(a.page, 'tab-friends').click();
  await tid(a.page, 'search-input').fill(bob.username);
  await tid(a.page, 'search-submit').click();
  const hit = await visible(a.page.locator(`[data-testid="search-hit"][data-username="${bob.username}"]`), 'B in the search results');
  await hit.getByTestId('add-friend').click();
  await eventually('the hit to show "request sent"', async () => assert.equal(await hit.getAttribute('data-relation'), 'request_sent'));
  await visible(a.page.locator(`[data-testid="outgoing-request"][data-username="${bob.username}"]`), 'the outgoing request');

  // B gets the request live (notification frame) and accepts it.
  await tid(b.page, 'tab-friends').click();
  const request = await visible(b.page.locator(`[data-testid="incoming-request"][data-username="${alice.username}"]`), 'the incoming request at B');
  await shot(b.page, 'friend-request.png');
  await request.getByTestId('accept-request').click();
  await visible(b.page.locator(`[data-testid="friend-item"][data-username="${alice.username}"]`), 'A in B’s friend list');

  // A sees the acceptance live, with B online, and opens the chat.
  const friend = await visible(a.page.locator(`[data-testid="friend-item"][data-username="${bob.username}"]`), 'B in A’s friend list');
  await eventually('B shown online to A', async () => assert.equal(await friend.getByTestId('friend-presence').getAttribute('data-online'), 'true'));
  await shot(a.page, 'friends.png');
  await friend.getByTestId('start-chat').click();
  await visible(tid(a.page, 'chat-view'), 'the chat view at A');

  await tid(a.page, 'composer-input').fill('Hello Bob! 你好');
  await tid(a.page, 'composer-input').press('Enter');
  const mine = a.page.locator('[data-testid="message"][data-mine="true"]').filter({ hasText: 'Hello Bob! 你好' });
  await eventually('A’s message acked', async () => assert.match((await mine.first().getAttribute('data-status')) ?? '', /^(sent|read)$/));

  // B sees it in the list with an unread badge, then opens it.
  await tid(b.page, 'tab-chats').click();
  const conv = await visible(tid(b.page, 'conversation-item'), 'the conversation at B');
  await eventually('the unread badge at B', async () => assert.equal((await conv.getByTestId('unread-badge').textContent())?.trim(), '1'));
  assert.match((await conv.getByTestId('conversation-preview').textContent()) ?? '', /Hello Bob!/);
  await conv.click();
  await visible(b.page.locator('[data-testid="message"][data-mine="false"]').filter({ hasText: 'Hello Bob! 你好' }), 'A’s message at B');

  // Opening it marks it read: A's message turns "read".
  await eventually('A’s message read', async () => assert.equal(await mine.first().getAttribute('data-status'), 'read'));
  await eventually('B’s badge cleared', async () => assert.equal(await conv.getByTestId('unread-badge').count(), 0));

  // B replies over two lines (Shift+Enter), sent with Enter.
  const input = tid(b.page, 'composer-input');
  await input.fill('Hi Alice!');
  await input.press('Shift+Enter');
  await input.pressSequentially('Second line');
  assert.equal(await input.inputValue(), 'Hi Alice!\nSecond line');
  await input.press('Enter');
  assert.equal(await input.inputValue(), '');
  const reply = a.page.locator('[data-testid="message"][data-mine="false"]').filter({ hasText: 'Hi Alice!' });
  await visible(reply, 'B’s reply at A');
  assert.equal(await reply.first().getByTestId('message-text').innerText(), 'Hi Alice!\nSecond line');
  await eventually('B’s reply read by A', async () =>
    assert.equal(await b.page.locator('[data-testid="message"][data-mine="true"]').first().getAttribute('data-status'), 'read'),
  );
  await shot(a.page, 'chat.png');

  // Each message once, in both views.
  assert.equal(await a.page.locator('[data-testid="message"]').count(), 2);
  assert.equal(await b.page.locator('[data-testid="message"]').count(), 2);

  // Phone width: one column, the chat fills the screen and Back returns to the list.
  await b.page.setViewportSize({ width: 390, height: 844 });
  await shot(b.page, 'chat-phone.png');
  await tid(b.page, 'back-button').click();
  await visible(tid(b.page, 'conversation-list'), 'the list at phone width');
  await shot(b.page, 'list-phone.png');

  for (const u of [a, b]) assert.deepEqual(u.problems, []);
  await a.context.close();
  await b.context.close();
});
