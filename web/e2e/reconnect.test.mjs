// The connection drops: the banner shows, the client reconnects, pulls what it missed (once),
// and sends what was typed while offline with the same client_msg_id.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { browserForFile, eventually, rest, restBefriend, restUser, signIn, tid, visible } from './helpers.mjs';

const run = Date.now().toString(36);
const open = browserForFile();

test('reconnect resyncs and resends', { timeout: 120_000 }, async () => {
  const [me, peer] = await Promise.all([restUser(`rme_${run}`), restUser(`rpeer_${run}`)]);
  await restBefriend(me, peer);
  const conversation = me.id < peer.id ? `d:${me.id}:${peer.id}` : `d:${peer.id}:${me.id}`;
  const send = (text, id) =>
    rest('POST', '/messages', { token: peer.token, body: { kind: 'direct', target_id: me.id, client_msg_id: id, content: { type: 'text', text } } });
  await send('before the drop', `r1-${run}`);

  const u = await open();
  // The WebSocket goes through a route the test can cut, as a flaky network would.
  let route = null;
  let block = false;
  await u.page.routeWebSocket(/\/ws\//, (ws) => {
    if (block) {
      ws.close({ code: 1011, reason: 'test: network down' });
      return;
    }
    route = { page: ws, server: ws.connectToServer() };
  });
  await signIn(u.page, me.username, me.password);
  await (await visible(u.page.locator(`[data-testid="conversation-item"][data-conversation-id="${conversation}"]`), 'the conversation')).click();
  await visible(u.page.locator('[data-testid="message"]').filter({ hasText: 'before the drop' }), 'the first message');

  // Cut the connection and keep it down for a moment.
  block = true;
  await route.server.close({ code: 1000, reason: 'test: going away' });
  await route.page.close({ code: 1001, reason: 'test: going away' });
  await visible(tid(u.page, 'connection-banner'), 'the reconnecting banner');
  await send('while away', `r2-${run}`);
  await tid(u.page, 'composer-input').fill('typed offline');
  await tid(u.page, 'composer-input').press('Enter');
  const offline = u.page.locator('[data-testid="message"][data-mine="true"]').filter({ hasText: 'typed offline' });
  assert.equal(await offline.first().getAttribute('data-status'), 'sending');

  // Back online: resync brings the missed message, the offline send goes out.
  block = false;
  await eventually('the banner gone', async () => assert.equal(await tid(u.page, 'connection-banner').count(), 0), 20_000);
  await visible(u.page.locator('[data-testid="message"]').filter({ hasText: 'while away' }), 'the missed message');
  await eventually('the offline send acked', async () => assert.match((await offline.first().getAttribute('data-status')) ?? '', /^(sent|read)$/));

  // Nothing twice: three messages, each once, in seq order.
  await send('after the return', `r3-${run}`);
  await visible(u.page.locator('[data-testid="message"]').filter({ hasText: 'after the return' }), 'a live push after the reconnect');
  const texts = await u.page.getByTestId('message-text').allInnerTexts();
  assert.deepEqual(texts, ['before the drop', 'while away', 'typed offline', 'after the return']);
  const history = await rest('GET', `/conversations/${conversation}/messages?after=0`, { token: peer.token });
  assert.equal(history.messages.filter((m) => m.content.text === 'typed offline').length, 1);

  await u.context.close();
});
