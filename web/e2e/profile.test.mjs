// Profile, group settings, mute lengths and blocking from search: A edits their display name and
// bio (B, a friend, sees both), edits a group (name, description, join mode; B, a member, sees
// the new name live and gets no form), mutes B for 10 minutes and then until unmuted (B's send
// is refused), and blocks a stranger from the search results, then unblocks them.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { browserForFile, eventually, rest, restBefriend, restUser, shot, signIn, tid, visible } from './helpers.mjs';

const run = Date.now().toString(36);
const open = browserForFile();

test('profile, group settings, mute lengths, block from search', { timeout: 170_000 }, async () => {
  const [owner, friend, stranger] = await Promise.all([restUser(`pown_${run}`), restUser(`pfri_${run}`), restUser(`pstr_${run}`)]);
  await restBefriend(owner, friend);
  const before = `Before ${run}`;
  const { group } = await rest('POST', '/groups', { token: owner.token, body: { name: before, join_mode: 'invite_only', member_ids: [friend.id] } });
  const [a, b] = await Promise.all([open(), open()]);
  await signIn(a.page, owner.username, owner.password);
  await signIn(b.page, friend.username, friend.password);

  // A's profile: a new display name and a bio.
  const nickname = `Ada ${run}`;
  await tid(a.page, 'tab-settings').click();
  await tid(a.page, 'profile-nickname').fill(nickname);
  await tid(a.page, 'profile-bio').fill('Tests things in browsers.');
  await tid(a.page, 'profile-save').click();
  await visible(tid(a.page, 'profile-saved'), 'the profile saved');
  await eventually('the new name in A’s header', async () => assert.equal(await tid(a.page, 'current-user').textContent(), nickname));
  await shot(a.page, 'profile.png');

  // B sees both in the friend list (asked again when the tab opens) and in the chat title.
  await tid(b.page, 'tab-friends').click();
  const item = b.page.locator(`[data-testid="friend-item"][data-username="${owner.username}"]`);
  await eventually('A’s new name at B', async () => assert.equal(await item.getByTestId('friend-name').textContent(), nickname));
  assert.equal(await item.getByTestId('friend-bio').textContent(), 'Tests things in browsers.');
  await item.getByTestId('start-chat').click();
  await eventually('A’s new name as B’s chat title', async () => assert.equal(await tid(b.page, 'chat-title').textContent(), nickname));

  // A edits the group: name, description, password join mode.
  const after = `After ${run}`;
  await tid(a.page, 'tab-groups').click();
  const groupAt = (page, name) => page.locator(`[data-testid="group-item"][data-group-name="${name}"]`);
  await (await visible(groupAt(a.page, before).getByTestId('group-members-toggle'), 'the group at A')).click();
  await (await visible(groupAt(a.page, before).getByTestId('group-edit-toggle'), 'Edit group for the owner')).click();
  await tid(a.page, 'group-edit-name').fill(after);
  await tid(a.page, 'group-edit-description').fill('Where the tests meet.');
  await tid(a.page, 'group-edit-join-mode').selectOption('password');
  await tid(a.page, 'group-edit-password').fill('sesame-123');
  await shot(a.page, 'group-edit.png');
  await tid(a.page, 'group-edit-save').click();
  const edited = await visible(groupAt(a.page, after), 'the renamed group at A');
  await visible(edited.getByTestId('group-saved'), 'the group saved');
  assert.equal(await edited.getByTestId('group-description').textContent(), 'Where the tests meet.');
  const stored = await rest('GET', `/groups/${group.group_id}`, { token: friend.token });
  assert.equal((stored.group ?? stored).join_mode, 'password');

  // B, a member, sees the new name live (group_updated) and no form.
  await tid(b.page, 'tab-groups').click();
  const atB = await visible(groupAt(b.page, after), 'the renamed group at B');
  await atB.getByTestId('group-members-toggle').click();
  await visible(atB.getByTestId('group-members'), 'the member list at B');
  assert.equal(await atB.getByTestId('group-edit-toggle').count(), 0);

  // Mute lengths: 10 minutes, then until unmuted; B's send is refused.
  const row = edited.locator(`[data-testid="group-member"][data-username="${friend.username}"]`);
  await (await visible(row.getByTestId('member-mute-length'), 'the mute lengths')).selectOption('600');
  await row.getByTestId('member-mute').click();
  await eventually('B muted until a time', async () => assert.match((await row.getByTestId('member-muted').textContent()) ?? '', /^Muted until \S/));
  let members = await rest('GET', `/groups/${group.group_id}/members`, { token: owner.token });
  const until = members.members.find((m) => m.user.user_id === friend.id).muted_until_ms;
  assert.ok(Math.abs(until - (Date.now() + 600_000)) < 60_000, `a 10-minute mute ends in 10 minutes: ${until - Date.now()} ms`);
  await atB.getByTestId('group-chat').click();
  await tid(b.page, 'composer-input').fill('am I muted?');
  await tid(b.page, 'composer-input').press('Enter');
  await visible(tid(b.page, 'send-refusal'), 'the refusal at the muted member');

  await row.getByTestId('member-unmute').click();
  await (await visible(row.getByTestId('member-mute-length'), 'the mute lengths again')).selectOption({ label: 'Until unmuted' });
  await row.getByTestId('member-mute').click();
  await eventually('B muted until unmuted', async () => assert.equal(await row.getByTestId('member-muted').textContent(), 'Muted until unmuted'));
  members = await rest('GET', `/groups/${group.group_id}/members`, { token: owner.token });
  assert.ok(members.members.find((m) => m.user.user_id === friend.id).muted_until_ms > Date.now() + 50 * 365 * 86_400_000);
  await shot(a.page, 'mute.png');
  await row.getByTestId('member-unmute').click();
  await eventually('B unmuted', async () => assert.equal(await row.getAttribute('data-muted'), 'false'));

  // Blocking a stranger straight from the search results, then unblocking.
  await tid(a.page, 'tab-friends').click();
  await tid(a.page, 'search-input').fill(stranger.username);
  await tid(a.page, 'search-submit').click();
  const hit = await visible(a.page.locator(`[data-testid="search-hit"][data-username="${stranger.username}"]`), 'the stranger in the results');
  await hit.getByTestId('search-block').click();
  await hit.getByTestId('search-block-confirm').click();
  await eventually('the hit shown blocked', async () => assert.equal(await hit.getAttribute('data-relation'), 'blocked'));
  await visible(a.page.locator('[data-testid="block-list"]').filter({ hasText: stranger.username }), 'the stranger in the block list');
  await assert.rejects(rest('POST', '/friends/requests', { token: stranger.token, body: { to_user_id: owner.id } }), /403|blocked/i);
  await shot(a.page, 'search-block.png');
  await hit.getByTestId('search-unblock').click();
  await eventually('the hit a stranger again', async () => assert.equal(await hit.getAttribute('data-relation'), 'none'));
  await visible(hit.getByTestId('add-friend'), 'Add friend offered again');

  for (const u of [a, b]) assert.deepEqual(u.problems, []);
  await a.context.close();
  await b.context.close();
});
