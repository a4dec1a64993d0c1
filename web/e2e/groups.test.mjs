// Groups through the UI: create with a join mode and a friend in it, chat, invite, leave.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { browserForFile, eventually, restBefriend, restUser, shot, signIn, tid, visible } from './helpers.mjs';

const run = Date.now().toString(36);
const open = browserForFile();

test('create a group, chat in it, invite a friend, and leave', { timeout: 120_000 }, async () => {
  const [owner, member, late] = await Promise.all([restUser(`gown_${run}`), restUser(`gmem_${run}`), restUser(`glate_${run}`)]);
  await restBefriend(owner, member);
  await restBefriend(owner, late);

  const a = await open();
  const b = await open();
  await signIn(a.page, owner.username, owner.password);
  await signIn(b.page, member.username, member.password);

  // The owner creates an invite-only group with the member in it.
  const name = `Team ${run}`;
  await tid(a.page, 'tab-groups').click();
  await tid(a.page, 'group-name').fill(name);
  await tid(a.page, 'group-join-mode').selectOption('invite_only');
  await (await visible(a.page.locator(`[data-testid="group-member-pick"][data-username="${member.username}"]`), 'the friend to pick')).check();
  await tid(a.page, 'create-group-submit').click();
  const group = await visible(a.page.locator(`[data-testid="group-item"][data-group-name="${name}"]`), 'the new group');

  // The member sees it live (group_added notification) and in the notification list.
  await tid(b.page, 'tab-groups').click();
  await visible(b.page.locator(`[data-testid="group-item"][data-group-name="${name}"]`), 'the group at the member');
  await tid(b.page, 'tab-notifications').click();
  await visible(b.page.locator('[data-testid="notification"][data-kind="group_added"]'), 'the group_added notification');

  // Group chat both ways.
  await group.getByTestId('group-chat').click();
  await visible(tid(a.page, 'chat-view'), 'the group chat');
  await tid(a.page, 'composer-input').fill('Welcome to the group');
  await tid(a.page, 'composer-input').press('Enter');
  await tid(b.page, 'tab-chats').click();
  const conv = await visible(b.page.locator('[data-testid="conversation-item"]').filter({ hasText: name }), 'the group conversation at the member');
  await conv.click();
  await visible(b.page.locator('[data-testid="message"][data-mine="false"]').filter({ hasText: 'Welcome to the group' }), 'the owner’s message');
  await tid(b.page, 'composer-input').fill('Thanks!');
  await tid(b.page, 'composer-input').press('Enter');
  await visible(a.page.locator('[data-testid="message"][data-mine="false"]').filter({ hasText: 'Thanks!' }), 'the member’s reply');

  // Invite the other friend.
  await tid(a.page, 'tab-groups').click();
  const item = a.page.locator(`[data-testid="group-item"][data-group-name="${name}"]`);
  await item.getByTestId('group-members-toggle').click();
  await visible(item.locator(`[data-testid="group-member"][data-username="${member.username}"]`), 'the member in the list');
  await item.getByTestId('group-invite-pick').selectOption({ label: late.username });
  await item.getByTestId('group-invite').click();
  await visible(item.locator(`[data-testid="group-member"][data-username="${late.username}"]`), 'the invited friend in the list');
  await shot(a.page, 'groups.png');

  // The member leaves.
  await tid(b.page, 'tab-groups').click();
  const theirs = b.page.locator(`[data-testid="group-item"][data-group-name="${name}"]`);
  await theirs.getByTestId('group-members-toggle').click();
  await (await visible(theirs.getByTestId('group-leave'), 'the leave button')).click();
  await eventually('the group gone at the member', async () => assert.equal(await theirs.count(), 0));

  for (const u of [a, b]) assert.deepEqual(u.problems, []);
  await a.context.close();
  await b.context.close();
});
