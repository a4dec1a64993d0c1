// Group administration with three people: a remark, typing, a kick (the kicked member's UI
// drops the group and cannot post), a mute (the member's send shows the server's refusal),
// a recall that blanks the message at the other side, and delete for me; then join requests,
// admins, transfer and dissolve, and a friend blocked, unblocked and removed.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { browserForFile, eventually, rest, restBefriend, restUser, shot, signIn, tid, visible } from './helpers.mjs';

const run = Date.now().toString(36);
const open = browserForFile();

const message = (page, text, mine) =>
  page.locator(`[data-testid="message"]${mine === undefined ? '' : `[data-mine="${mine}"]`}`).filter({ hasText: text });

async function send(page, text) {
  await tid(page, 'composer-input').fill(text);
  await tid(page, 'composer-input').press('Enter');
  await visible(message(page, text, true), `“${text}” in the sender’s view`);
}

async function openGroupChat(page, name) {
  await tid(page, 'tab-chats').click();
  await (await visible(page.locator('[data-testid="conversation-item"]').filter({ hasText: name }), `the group “${name}” in the list`)).click();
  await visible(tid(page, 'chat-view'), 'the group chat');
}

/** The owner's member row for a user, with the member list open. */
async function memberRow(page, groupName, username) {
  await tid(page, 'tab-groups').click();
  const item = page.locator(`[data-testid="group-item"][data-group-name="${groupName}"]`);
  if ((await item.getByTestId('group-members').count()) === 0) await item.getByTestId('group-members-toggle').click();
  return visible(item.locator(`[data-testid="group-member"][data-username="${username}"]`), `${username} in the member list`);
}

test('owner kicks, mutes and recalls; the others see it', { timeout: 170_000 }, async () => {
  const [owner, member, member2] = await Promise.all([restUser(`aown_${run}`), restUser(`amem_${run}`), restUser(`amem2_${run}`)]);
  await restBefriend(owner, member);
  await restBefriend(owner, member2);
  const [a, b, c] = await Promise.all([open(), open(), open()]);
  await signIn(a.page, owner.username, owner.password);
  await signIn(b.page, member.username, member.password);
  await signIn(c.page, member2.username, member2.password);

  // The owner gives the member a remark: it replaces the nickname in the friend list and the chat.
  const remark = `Bee ${run}`;
  await tid(a.page, 'tab-friends').click();
  const friend = a.page.locator(`[data-testid="friend-item"][data-username="${member.username}"]`);
  await (await visible(friend.getByTestId('friend-options'), 'the friend options')).click();
  await friend.getByTestId('friend-remark-input').fill(remark);
  await friend.getByTestId('friend-remark-save').click();
  await eventually('the remark in the friend list', async () => assert.equal(await friend.getByTestId('friend-name').textContent(), remark));

  // An approval group with both friends in it.
  const name = `Admins ${run}`;
  await tid(a.page, 'tab-groups').click();
  await tid(a.page, 'group-name').fill(name);
  await tid(a.page, 'group-join-mode').selectOption('approval');
  for (const u of [member, member2]) {
    await (await visible(a.page.locator(`[data-testid="group-member-pick"][data-username="${u.username}"]`), `${u.username} to pick`)).check();
  }
  await tid(a.page, 'create-group-submit').click();
  const group = await visible(a.page.locator(`[data-testid="group-item"][data-group-name="${name}"]`), 'the new group');
  await group.getByTestId('group-chat').click();
  await visible(tid(a.page, 'chat-view'), 'the owner’s group chat');

  // All three chat. The member's typing shows at the owner (under the remark) until the message lands.
  await send(a.page, 'Hello both');
  for (const u of [b, c]) {
    await openGroupChat(u.page, name);
    await visible(message(u.page, 'Hello both', false), 'the owner’s greeting');
  }
  await tid(b.page, 'composer-input').fill('Hi owner');
  const typing = await visible(tid(a.page, 'typing-indicator'), 'the typing indicator at the owner');
  assert.match(await typing.textContent(), new RegExp(`${remark} is typing`));
  await tid(b.page, 'composer-input').press('Enter');
  await visible(message(b.page, 'Hi owner', true), 'the member’s message at the member');
  const fromMember = await visible(message(a.page, 'Hi owner', false), 'the member’s message at the owner');
  assert.match(await fromMember.textContent(), new RegExp(remark));
  await eventually('the typing indicator gone', async () => assert.equal(await tid(a.page, 'typing-indicator').count(), 0));
  await send(c.page, 'Hi from two');
  await visible(message(a.page, 'Hi from two', false), 'member2’s message at the owner');
  await visible(message(b.page, 'Hi from two', false), 'member2’s message at the member');

  // The owner kicks member2 (after a confirmation): member2's group goes and it cannot post.
  const row2 = await memberRow(a.page, name, member2.username);
  await row2.getByTestId('member-kick').click();
  await (await visible(row2.getByTestId('member-kick-confirm'), 'the kick confirmation')).click();
  await eventually('member2 gone from the owner’s list', async () => assert.equal(await row2.count(), 0));
  await visible(tid(c.page, 'chat-not-member'), 'the “no longer a member” line at member2');
  assert.equal(await tid(c.page, 'composer-input').count(), 0, 'member2 has no composer');
  await tid(c.page, 'tab-groups').click();
  await eventually('the group gone at member2', async () =>
    assert.equal(await c.page.locator(`[data-testid="group-item"][data-group-name="${name}"]`).count(), 0),
  );

  // The owner and the member go on.
  await send(a.page, 'Just us now');
  await visible(message(b.page, 'Just us now', false), 'the owner’s message at the member');
  await send(b.page, 'Indeed');
  await visible(message(a.page, 'Indeed', false), 'the member’s answer at the owner');

  // The owner mutes the member: the member's next send is refused with the server's reason.
  const row = await memberRow(a.page, name, member.username);
  await row.getByTestId('member-mute').click();
  await eventually('the member shown muted', async () => assert.equal(await row.getAttribute('data-muted'), 'true'));
  await shot(a.page, 'group-members.png');
  await tid(b.page, 'composer-input').fill('Can I still talk?');
  await tid(b.page, 'composer-input').press('Enter');
  const refusal = await visible(tid(b.page, 'send-refusal'), 'the refusal at the muted member');
  assert.match(await refusal.textContent(), /muted/);
  await eventually('the refused send marked failed', async () =>
    assert.equal(await message(b.page, 'Can I still talk?', true).getAttribute('data-status'), 'failed'),
  );

  // The owner recalls a message: it turns into "Message recalled" at the member.
  await send(a.page, 'Oops, wrong chat');
  await visible(message(b.page, 'Oops, wrong chat', false), 'the message before the recall');
  const mine = message(a.page, 'Oops, wrong chat', true);
  await mine.hover();
  await mine.getByTestId('message-recall').click();
  await visible(message(a.page, 'Message recalled', true), 'the recall at the owner');
  await eventually('the message recalled at the member', async () => assert.equal(await message(b.page, 'Oops, wrong chat').count(), 0));
  await visible(message(b.page, 'Message recalled', false), '“Message recalled” at the member');
  await shot(b.page, 'group-admin.png');

  // Delete for me: gone at the member, still there at the owner.
  const greeting = message(b.page, 'Just us now', false);
  await greeting.hover();
  await greeting.getByTestId('message-delete').click();
  await eventually('the message deleted at the member', async () => assert.equal(await greeting.count(), 0));
  assert.equal(await message(a.page, 'Just us now', true).count(), 1);

  for (const u of [a, b, c]) assert.deepEqual(u.problems, []);
  await Promise.all([a, b, c].map((u) => u.context.close()));
});

test('join requests, admins, transfer and dissolve; block, unblock and remove a friend', { timeout: 170_000 }, async () => {
  const [owner, joiner, pal] = await Promise.all([restUser(`bown_${run}`), restUser(`bjoin_${run}`), restUser(`bpal_${run}`)]);
  await restBefriend(owner, pal);
  const name = `Approval ${run}`;
  const { group } = await rest('POST', '/groups', { token: owner.token, body: { name, join_mode: 'approval', member_ids: [] } });
  const [a, b] = await Promise.all([open(), open()]);
  await signIn(a.page, owner.username, owner.password);
  await signIn(b.page, joiner.username, joiner.password);

  // The joiner asks; the owner sees the request live and approves it.
  await tid(a.page, 'tab-groups').click();
  const item = a.page.locator(`[data-testid="group-item"][data-group-name="${name}"]`);
  await (await visible(item.getByTestId('group-members-toggle'), 'the group at the owner')).click();
  await visible(item.getByTestId('join-requests'), 'the join requests section');
  await tid(b.page, 'tab-groups').click();
  await tid(b.page, 'join-group-id').fill(String(group.group_id));
  await tid(b.page, 'join-group-submit').click();
  const request = await visible(item.locator(`[data-testid="join-request"][data-username="${joiner.username}"]`), 'the join request at the owner');
  await request.getByTestId('join-approve').click();
  const row = await visible(item.locator(`[data-testid="group-member"][data-username="${joiner.username}"]`), 'the joiner in the member list');
  const theirs = b.page.locator(`[data-testid="group-item"][data-group-name="${name}"]`);
  await visible(theirs, 'the group at the joiner');

  // Admin and back, then the group is handed over.
  await row.getByTestId('member-admin').click();
  await eventually('the joiner made admin', async () => assert.equal(await row.getAttribute('data-role'), 'admin'));
  await row.getByTestId('member-unadmin').click();
  await eventually('the joiner a member again', async () => assert.equal(await row.getAttribute('data-role'), 'member'));
  await item.getByTestId('group-transfer-pick').selectOption(String(joiner.id));
  await item.getByTestId('group-transfer').click();
  await (await visible(item.getByTestId('group-transfer-confirm'), 'the transfer confirmation')).click();
  await eventually('the joiner is the owner', async () => assert.equal(await row.getAttribute('data-role'), 'owner'));
  await eventually('no owner actions left at the old owner', async () => assert.equal(await item.getByTestId('owner-actions').count(), 0));

  // The new owner (the panel asks again when it opens) dissolves it: it goes for both.
  await tid(b.page, 'tab-chats').click();
  await tid(b.page, 'tab-groups').click();
  await theirs.getByTestId('group-members-toggle').click();
  await (await visible(theirs.getByTestId('group-dissolve'), 'the dissolve button at the new owner')).click();
  await theirs.getByTestId('group-dissolve-confirm').click();
  await eventually('the group gone at the new owner', async () => assert.equal(await theirs.count(), 0));
  await eventually('the group gone at the old owner', async () => assert.equal(await item.count(), 0));

  // Block and unblock a friend, then remove them.
  await tid(a.page, 'tab-friends').click();
  const friend = a.page.locator(`[data-testid="friend-item"][data-username="${pal.username}"]`);
  await (await visible(friend.getByTestId('friend-options'), 'the friend options')).click();
  await friend.getByTestId('friend-block').click();
  await friend.getByTestId('friend-block-confirm').click();
  const blockedRow = await visible(a.page.locator(`[data-testid="blocked-user"][data-username="${pal.username}"]`), 'the blocked user');
  await blockedRow.getByTestId('unblock').click();
  await eventually('the block list empty', async () => assert.equal(await tid(a.page, 'blocked-user').count(), 0));
  await friend.getByTestId('friend-remove').click();
  await friend.getByTestId('friend-remove-confirm').click();
  await eventually('the friend removed', async () => assert.equal(await friend.count(), 0));

  for (const u of [a, b]) assert.deepEqual(u.problems, []);
  await Promise.all([a, b].map((u) => u.context.close()));
});
