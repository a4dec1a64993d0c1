// Avatars: A sets a picture in Settings (uploaded with the picture's own upload, then PUT
// /me/avatar); A's own header and member row show it at once; B, a friend, sees it in the friend
// list, the conversation list and beside A's group messages (the thumbnail at a signed address,
// loaded). A, the owner, sets the group's picture; B, a member, sees it in the group list, the
// conversation list and the chat header. A removes the picture: the letter again, at A and at B.
// A picture that does not decode, and a text file, are refused in plain words.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { browserForFile, eventually, rest, restBefriend, restUser, shot, signIn, tid, visible } from './helpers.mjs';

const run = Date.now().toString(36);
const open = browserForFile();

/** A square PNG drawn by the browser: a gradient with a letter, written to a temporary file. */
async function drawPng(page, dir, name, [from, to], letter) {
  const dataUrl = await page.evaluate(
    ([from, to, letter]) => {
      const c = document.createElement('canvas');
      c.width = 400;
      c.height = 400;
      const g = c.getContext('2d');
      const grad = g.createLinearGradient(0, 0, 400, 400);
      grad.addColorStop(0, from);
      grad.addColorStop(1, to);
      g.fillStyle = grad;
      g.fillRect(0, 0, 400, 400);
      g.fillStyle = '#fff';
      g.font = 'bold 220px sans-serif';
      g.textAlign = 'center';
      g.textBaseline = 'middle';
      g.fillText(letter, 200, 215);
      return c.toDataURL('image/png');
    },
    [from, to, letter],
  );
  const path = join(dir, name);
  writeFileSync(path, Buffer.from(dataUrl.split(',')[1], 'base64'));
  return path;
}

/** The avatar's picture is loaded from a signed thumbnail address of that file, in its 40 px
 * (or given) box; returns the address. */
async function assertPicture(avatar, fileId, what, size = 40) {
  const img = avatar.locator('img');
  await eventually(`${what}: the picture loaded`, async () => {
    assert.equal(await avatar.getAttribute('data-avatar-file'), String(fileId));
    assert.ok(await img.evaluate((el) => el.complete && el.naturalWidth > 0 && el.classList.contains('loaded')), 'not loaded');
  });
  const src = await img.getAttribute('src');
  assert.match(src, new RegExp(`^/api/v1/files/${fileId}/thumbnail\\?.+`), `${what}: a signed thumbnail address`);
  // The box is the avatar's own, whatever the picture's size: nothing moved when it arrived.
  const boxes = await avatar.evaluate((el) => [el, el.querySelector('img')].map((e) => Math.round(e.getBoundingClientRect().width)));
  assert.deepEqual(boxes, [size, size], `${what}: the box`);
  assert.equal(await img.getAttribute('alt'), '');
  return src;
}

/** No picture: the letter alone. */
async function assertLetter(avatar, letter, what) {
  await eventually(`${what}: the letter`, async () => {
    assert.equal(await avatar.locator('img').count(), 0);
    assert.equal(await avatar.getAttribute('data-avatar-file'), null);
  });
  assert.equal((await avatar.innerText()).trim(), letter);
}

test('avatars of users and groups: set, seen by others, removed, refused', { timeout: 170_000 }, async () => {
  const [owner, friend] = await Promise.all([restUser(`ava_a_${run}`), restUser(`ava_b_${run}`)]);
  await restBefriend(owner, friend);
  const direct = owner.id < friend.id ? `d:${owner.id}:${friend.id}` : `d:${friend.id}:${owner.id}`;
  const groupName = `Pictures ${run}`;
  const { group } = await rest('POST', '/groups', { token: owner.token, body: { name: groupName, join_mode: 'invite_only', member_ids: [friend.id] } });
  const groupId = group.group_id;
  const send = (kind, target_id, text) =>
    rest('POST', '/messages', { token: owner.token, body: { kind, target_id, client_msg_id: `ava-${kind}-${run}`, content: { type: 'text', text } } });
  await send('direct', friend.id, 'hello B');
  await send('group', groupId, 'hello group');

  const [a, b] = await Promise.all([open(), open()]);
  await signIn(a.page, owner.username, owner.password);
  await signIn(b.page, friend.username, friend.password);
  const pa = a.page;
  const pb = b.page;
  const dir = mkdtempSync(join(tmpdir(), 'chat-avatar-'));
  const mine = await drawPng(pa, dir, 'me.png', ['#f59e0b', '#db2777'], 'A');
  const ours = await drawPng(pa, dir, 'group.png', ['#0d9488', '#2563eb'], 'G');

  // A's picture: chosen in Settings, uploaded, made the avatar; A's header shows it at once.
  await tid(pa, 'tab-settings').click();
  const picker = await visible(tid(pa, 'profile-avatar'), 'the picture in Settings');
  await assertLetter(picker.getByTestId('avatar'), 'A', 'A before');
  await tid(pa, 'profile-avatar-input').setInputFiles(mine);
  assert.equal(await (await visible(tid(pa, 'profile-avatar-saved'), 'the picture saved')).innerText(), 'Picture changed.');
  const me = await rest('GET', '/me', { token: owner.token });
  assert.ok(me.avatar_file_id > 0, JSON.stringify(me));
  assert.equal(me.avatar_url, `/api/v1/files/${me.avatar_file_id}`);
  await assertPicture(picker.getByTestId('avatar'), me.avatar_file_id, 'A’s picture in Settings', 72);
  await assertPicture(pa.locator('.side-head [data-testid="avatar"]'), me.avatar_file_id, 'A’s header');
  await visible(tid(pa, 'profile-avatar-remove'), 'Remove picture');
  await shot(pa, 'avatar-profile.png');

  // B sees it in the friend list (asked again when the tab opens) and the conversation list.
  await tid(pb, 'tab-friends').click();
  const friendItem = pb.locator(`[data-testid="friend-item"][data-username="${owner.username}"]`);
  await assertPicture(friendItem.getByTestId('avatar'), me.avatar_file_id, 'A in B’s friend list');
  await shot(pb, 'avatar-friends.png');
  await tid(pb, 'tab-chats').click();
  const directAtB = pb.locator(`[data-testid="conversation-item"][data-conversation-id="${direct}"]`);
  await assertPicture(directAtB.getByTestId('avatar'), me.avatar_file_id, 'A in B’s conversation list');

  // B, a member of the group, sees A's picture beside A's group message.
  const groupAt = (page) => page.locator(`[data-testid="conversation-item"][data-conversation-id="g:${groupId}"]`);
  await (await visible(groupAt(pb), 'the group conversation at B')).click();
  const sender = pb.locator('[data-testid="message"][data-seq]').filter({ hasText: 'hello group' }).getByTestId('avatar');
  await assertPicture(sender, me.avatar_file_id, 'A beside the group message', 28);

  // A's own row in the group's member list follows at once too.
  await tid(pa, 'tab-groups').click();
  const groupItemAt = (page) => page.locator(`[data-testid="group-item"][data-group-name="${groupName}"]`);
  const itemA = await visible(groupItemAt(pa), 'the group at A');
  await itemA.getByTestId('group-members-toggle').click();
  const ownRow = itemA.locator(`[data-testid="group-member"][data-username="${owner.username}"]`);
  await assertPicture(await visible(ownRow.getByTestId('avatar'), 'A’s member row'), me.avatar_file_id, 'A’s member row', 28);

  // The group's picture, by its owner; B (a member) sees it after group_updated.
  await (await visible(itemA.getByTestId('group-edit-toggle'), 'Edit group')).click();
  await tid(pa, 'group-edit-avatar-input').setInputFiles(ours);
  await visible(tid(pa, 'group-edit-avatar-saved'), 'the group picture saved');
  const stored = await rest('GET', `/groups/${groupId}`, { token: friend.token });
  const groupFile = (stored.group ?? stored).avatar_file_id;
  assert.ok(groupFile > 0 && groupFile !== me.avatar_file_id, JSON.stringify(stored));
  await assertPicture(itemA.locator('.row [data-testid="avatar"]').first(), groupFile, 'the group at A');
  await assertPicture(tid(pa, 'group-edit-avatar').getByTestId('avatar'), groupFile, 'the group’s picture in its form', 72);
  await shot(pa, 'avatar-group-edit.png');
  await assertPicture(groupAt(pb).getByTestId('avatar'), groupFile, 'the group in B’s conversation list');
  await assertPicture(pb.locator('.chat-head [data-testid="avatar"]'), groupFile, 'the group in B’s chat header');
  await shot(pb, 'avatar-chat.png');
  await tid(pb, 'tab-groups').click();
  await assertPicture(groupItemAt(pb).locator('.row [data-testid="avatar"]').first(), groupFile, 'the group in B’s group list');
  assert.equal(await groupItemAt(pb).getByTestId('group-edit-toggle').count(), 0);

  // A removes the picture: the letter at A at once, at B when the friend list is asked again.
  await tid(pa, 'tab-settings').click();
  await (await visible(tid(pa, 'profile-avatar-remove'), 'Remove picture')).click();
  assert.equal(await (await visible(tid(pa, 'profile-avatar-saved'), 'the picture removed')).innerText(), 'Picture removed.');
  await assertLetter(tid(pa, 'profile-avatar').getByTestId('avatar'), 'A', 'A after removing');
  await assertLetter(pa.locator('.side-head [data-testid="avatar"]'), 'A', 'A’s header after removing');
  assert.equal(await tid(pa, 'profile-avatar-remove').count(), 0);
  assert.equal((await rest('GET', '/me', { token: owner.token })).avatar_file_id, 0);
  await tid(pb, 'tab-friends').click();
  await assertLetter(friendItem.getByTestId('avatar'), 'A', 'A in B’s friend list after removing');
  await tid(pb, 'tab-chats').click();
  await assertLetter(directAtB.getByTestId('avatar'), 'A', 'A in B’s conversation list after removing');

  // Refusals in plain words: a text file (refused here, before any upload), and a "PNG" that
  // does not decode (the server's 415).
  let uploadsAsked = 0;
  pa.on('request', (r) => r.method() === 'POST' && /\/api\/v1\/files\?/.test(r.url()) && uploadsAsked++);
  const refusal = 'This is not a picture that can be used: choose a PNG, JPEG, GIF or WebP image.';
  const txt = join(dir, 'notes.txt');
  writeFileSync(txt, 'not a picture');
  await tid(pa, 'profile-avatar-input').setInputFiles(txt);
  assert.equal(await (await visible(tid(pa, 'profile-avatar-problem'), 'the text file refused')).innerText(), refusal);
  assert.equal(uploadsAsked, 0);
  const fake = join(dir, 'broken.png');
  writeFileSync(fake, Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(200, 7)]));
  const refused = pa.waitForResponse((r) => r.request().method() === 'POST' && /\/api\/v1\/files\?/.test(r.url()), { timeout: 15_000 });
  await tid(pa, 'profile-avatar-input').setInputFiles(fake);
  assert.equal((await refused).status(), 415);
  await eventually('the refusal after the upload', async () => {
    assert.equal(await tid(pa, 'profile-avatar-problem').innerText(), refusal);
    assert.equal(await tid(pa, 'profile-avatar-change').isEnabled(), true);
  });
  assert.equal(uploadsAsked, 1);
  await assertLetter(tid(pa, 'profile-avatar').getByTestId('avatar'), 'A', 'A after the refusals');
  assert.equal((await rest('GET', '/me', { token: owner.token })).avatar_file_id, 0);
  await shot(pa, 'avatar-refused.png');

  // The refused upload's 415 is the one console error expected (Chromium logs failed loads).
  assert.deepEqual(
    a.problems.filter((p) => !/Failed to load resource: the server responded with a status of 415/.test(p)),
    [],
  );
  assert.deepEqual(b.problems, []);
  await Promise.all([a.context.close(), b.context.close()]);
});
