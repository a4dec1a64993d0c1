// Read counts in a group: my messages say "Sent", then "Read by 1" when a member who read them
// writes (someone else's message makes the view ask GET read-counts again), and "Read by 2" when
// the chat is opened again after the other member read silently (group receipts go only to the
// reader's own sessions, so nothing else tells).
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { browserForFile, eventually, rest, restBefriend, restUser, shot, signIn, tid, visible } from './helpers.mjs';

const run = Date.now().toString(36);
const open = browserForFile();

test('my group messages show how many members read them', { timeout: 120_000 }, async () => {
  const [a, b, c] = await Promise.all([restUser(`gr_a_${run}`), restUser(`gr_b_${run}`), restUser(`gr_c_${run}`)]);
  await restBefriend(a, b);
  await restBefriend(a, c);
  const name = `Reads ${run}`;
  const { group } = await rest('POST', '/groups', { token: a.token, body: { name, join_mode: 'invite_only', member_ids: [b.id, c.id] } });
  const conversation = `g:${group.group_id}`;
  const u = await open();
  const { page } = u;
  await signIn(page, a.username, a.password);
  await tid(page, 'tab-groups').click();
  await (await visible(page.locator(`[data-testid="group-item"][data-group-name="${name}"]`).getByTestId('group-chat'), 'the group')).click();
  await visible(tid(page, 'chat-view'), 'the group chat');

  for (const text of ['hello all', 'second']) {
    await tid(page, 'composer-input').fill(text);
    await tid(page, 'composer-input').press('Enter');
  }
  const mine = page.locator('[data-testid="message"][data-mine="true"]');
  const counts = () => mine.evaluateAll((els) => els.map((el) => `${el.getAttribute('data-read-by')}:${el.querySelector('[data-testid="message-status"]')?.textContent}`));
  await eventually('both sent, read by nobody', async () => assert.deepEqual(await counts(), ['0:Sent', '0:Sent']));

  // B reads both and writes: A's view asks again and says "Read by 1".
  const last = Math.max(...(await rest('GET', `/conversations/${conversation}/messages?after=0`, { token: b.token })).messages.map((m) => m.seq));
  const readAndSay = async (who, text) => {
    await rest('POST', `/conversations/${conversation}/read`, { token: who.token, body: { seq: last } });
    await rest('POST', '/messages', { token: who.token, body: { kind: 'group', target_id: group.group_id, client_msg_id: `gr-${who.id}-${run}`, content: { type: 'text', text } } });
  };
  await readAndSay(b, 'read them');
  await eventually('read by B', async () => assert.deepEqual(await counts(), ['1:Read by 1', '1:Read by 1']));

  // C reads without writing: nothing says so; opening the chat again asks, "Read by 2".
  await rest('POST', `/conversations/${conversation}/read`, { token: c.token, body: { seq: last } });
  await page.waitForTimeout(500);
  assert.deepEqual(await counts(), ['1:Read by 1', '1:Read by 1']);
  await tid(page, 'tab-chats').click();
  await (await visible(page.locator(`[data-testid="conversation-item"][data-conversation-id="${conversation}"]`), 'the group in the list')).click();
  await eventually('read by B and C after opening again', async () => assert.deepEqual(await counts(), ['2:Read by 2', '2:Read by 2']));
  await shot(page, 'group-reads.png');

  assert.deepEqual(u.problems, []);
  await u.context.close();
});
