// Account screens: change the password (which signs out the user's other logins), sign out,
// and sign in again with the new password only.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { browserForFile, eventually, restUser, signIn, tid, visible } from './helpers.mjs';

const run = Date.now().toString(36);
const open = browserForFile();

test('change password, other login kicked, sign out, sign in again', { timeout: 120_000 }, async () => {
  const user = await restUser(`acct_${run}`, 'first-password-1');
  const next = 'second-password-2';
  const main = await open();
  const other = await open();
  await signIn(main.page, user.username, user.password);
  await signIn(other.page, user.username, user.password);

  // The token lives in sessionStorage, never in the URL.
  assert.ok(!main.page.url().includes('token'));
  assert.ok(await main.page.evaluate(() => sessionStorage.getItem('chat.session')?.includes('"token"')));

  await tid(main.page, 'tab-settings').click();
  await tid(main.page, 'old-password').fill(user.password);
  await tid(main.page, 'new-password').fill(next);
  await tid(main.page, 'change-password-submit').click();
  await visible(tid(main.page, 'password-changed'), 'the confirmation');

  // The other login is ended (kicked, close 4002) and lands on the sign-in form.
  await visible(tid(other.page, 'auth-form'), 'the sign-in form in the other login');
  await visible(tid(other.page, 'signed-out-reason'), 'why the other login ended');
  assert.equal(await other.page.evaluate(() => sessionStorage.getItem('chat.session')), null);

  // The changer stays signed in, then signs out.
  assert.ok(await tid(main.page, 'current-user').isVisible());
  await tid(main.page, 'sign-out').click();
  await visible(tid(main.page, 'auth-form'), 'the sign-in form after signing out');

  // The old password no longer works; the new one does.
  await tid(main.page, 'auth-username').fill(user.username);
  await tid(main.page, 'auth-password').fill(user.password);
  await tid(main.page, 'auth-submit').click();
  await visible(tid(main.page, 'auth-error'), 'the wrong-password error');
  await signIn(main.page, user.username, next);
  await eventually('connected', async () => assert.equal(await tid(main.page, 'connection-banner').count(), 0));

  // Wrong-password 401s are expected console noise for this test; nothing else.
  for (const u of [main, other]) assert.deepEqual(u.problems.filter((p) => !p.includes('401')), []);
  await main.context.close();
  await other.context.close();
});
