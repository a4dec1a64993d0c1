// A message typed while offline survives a reload of the tab: the outbox is kept in
// sessionStorage, and after the reload's hello it goes out once with its client_msg_id.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { browserForFile, eventually, rest, restBefriend, restUser, signIn, tid, visible } from './helpers.mjs';

const run = Date.now().toString(36);
const open = browserForFile();

test('an unsent message survives a reload and goes out once', { timeout: 120_000 }, async () => {
  const [me, peer] = await Promise.all([restUser(`rl_me_${run}`), restUser(`rl_peer_${run}`)]);
  await restBefriend(me, peer);
  const conversation = me.id < peer.id ? `d:${me.id}:${peer.id}` : `d:${peer.id}:${me.id}`;
  await rest('POST', '/messages', { token: peer.token, body: { kind: 'direct', target_id: me.id, client_msg_id: `rl-1-${run}`, content: { type: 'text', text: 'hi' } } });

  const u = await open();
  const { page } = u;
  // The WebSocket goes through a route the test can cut (it stays across the reload).
  let block = false;
  const live = [];
  await page.routeWebSocket(/\/ws\//, (ws) => {
    if (block) {
      ws.close({ code: 1011, reason: 'test: network down' });
      return;
    }
    live.push({ page: ws, server: ws.connectToServer() });
  });
  await signIn(page, me.username, me.password);
  const openChat = async () =>
    (await visible(page.locator(`[data-testid="conversation-item"][data-conversation-id="${conversation}"]`), 'the conversation')).click();
  await openChat();
  await visible(page.locator('[data-testid="message"]').filter({ hasText: 'hi' }), 'the peer’s message');

  // Offline: the send waits in the outbox.
  block = true;
  for (const r of live) {
    await r.server.close({ code: 1000, reason: 'test: going away' });
    await r.page.close({ code: 1001, reason: 'test: going away' });
  }
  await visible(tid(page, 'connection-banner'), 'the reconnecting banner');
  await tid(page, 'composer-input').fill('typed before a reload');
  await tid(page, 'composer-input').press('Enter');
  const pending = page.locator('[data-testid="message"][data-mine="true"]').filter({ hasText: 'typed before a reload' });
  assert.equal(await pending.first().getAttribute('data-status'), 'sending');

  // The reload, still offline (no hello, so no conversation list yet): the send is kept.
  await page.reload({ waitUntil: 'load' });
  await visible(tid(page, 'current-user'), 'still signed in');
  await visible(tid(page, 'connection-banner'), 'offline after the reload');
  const kept = await page.evaluate(() =>
    Object.entries(sessionStorage)
      .filter(([k]) => k.startsWith('chat.outbox.'))
      .flatMap(([, v]) => JSON.parse(v).map((p) => `${p.state}:${p.content.text}`)),
  );
  assert.deepEqual(kept, ['sending:typed before a reload']);

  // Back online: it goes out once and is acked.
  block = false;
  await openChat();
  await eventually('the send acked after the reload', async () => assert.match((await pending.first().getAttribute('data-status')) ?? '', /^(sent|read)$/), 30_000);
  const history = await rest('GET', `/conversations/${conversation}/messages?after=0`, { token: peer.token });
  assert.deepEqual(
    history.messages.map((m) => m.content.text),
    ['hi', 'typed before a reload'],
  );
  assert.equal(await page.locator('[data-testid="message"]').filter({ hasText: 'typed before a reload' }).count(), 1);
  assert.equal(await page.evaluate(() => Object.keys(sessionStorage).filter((k) => k.startsWith('chat.outbox.')).length), 0, 'the kept outbox is emptied once acked');

  await u.context.close();
});
