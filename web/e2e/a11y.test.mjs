// Accessibility: a polite live region says "New message from X" for messages that arrive, and
// nothing for history (a chat opened, older pages scrolled into view, my own sends); and the
// page is used with the keyboard alone: every control is reached with Tab, shows where the focus
// is, and acts on Enter.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { scrollToTopCollecting } from './messageScroll.mjs';
import { browserForFile, eventually, rest, restBefriend, restUser, shot, tid, visible } from './helpers.mjs';

const run = Date.now().toString(36);
const open = browserForFile();

/** What the focused element is, and whether the eye can see that it has the focus. */
const focused = (page) =>
  page.evaluate(() => {
    const el = document.activeElement;
    if (!el || el === document.body) return null;
    const style = getComputedStyle(el);
    const ring = (style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0) || style.boxShadow !== 'none';
    // Hidden until hovered or focused (message actions): the focus must reveal it.
    let opaque = true;
    for (let n = el; n; n = n.parentElement) if (getComputedStyle(n).opacity === '0') opaque = false;
    const box = el.getBoundingClientRect();
    return {
      id: el.getAttribute('data-testid') ?? `${el.tagName.toLowerCase()}:${el.getAttribute('aria-label') ?? el.textContent?.trim().slice(0, 20)}`,
      ring,
      opaque,
      sized: box.width > 1 && box.height > 1,
    };
  });

/** Presses Tab (or Shift+Tab) until the element with `testid` has the focus (bounded); returns every stop on the way. */
async function tabTo(page, testid, { back = false, max = 60 } = {}) {
  const stops = [];
  for (let i = 0; i < max; i++) {
    await page.keyboard.press(back ? 'Shift+Tab' : 'Tab');
    const f = await focused(page);
    if (f) stops.push(f);
    if (f?.id === testid) return stops;
  }
  throw new Error(`${testid} not reached with Tab in ${max} presses: ${stops.map((s) => s.id).join(', ')}`);
}

function assertVisibleFocus(stops) {
  for (const s of stops) {
    assert.ok(s.ring, `no visible focus on ${s.id}`);
    assert.ok(s.opaque && s.sized, `${s.id} has the focus but cannot be seen`);
  }
}

test('arrivals are announced, history is not; everything works from the keyboard', { timeout: 170_000 }, async () => {
  const [a, b] = await Promise.all([restUser(`a11y_a_${run}`), restUser(`a11y_b_${run}`)]);
  await restBefriend(a, b);
  const conversation = a.id < b.id ? `d:${a.id}:${b.id}` : `d:${b.id}:${a.id}`;
  let n = 0;
  const fromB = (text) =>
    rest('POST', '/messages', { token: b.token, body: { kind: 'direct', target_id: a.id, client_msg_id: `a11y-${++n}-${run}`, content: { type: 'text', text } } });
  // History: more than one page, so that scrolling up loads older rows.
  for (let i = 1; i <= 60; i++) await fromB(`old ${i}`);

  const u = await open();
  const { page } = u;
  const live = tid(page, 'live-announcer');
  const said = async () => ((await live.textContent()) ?? '').trim();

  // Sign in with the keyboard only.
  await tid(page, 'auth-username').focus();
  await page.keyboard.type(a.username);
  await page.keyboard.press('Tab');
  await page.keyboard.type(a.password);
  await page.keyboard.press('Enter');
  await visible(tid(page, 'current-user'), 'signed in from the keyboard');

  // The region is always there, polite, and out of sight.
  assert.equal(await live.getAttribute('role'), 'status');
  assert.equal(await live.getAttribute('aria-live'), 'polite');
  const box = await live.boundingBox();
  assert.ok(box && box.width <= 1 && box.height <= 1, `the live region is visible: ${JSON.stringify(box)}`);

  // Open the chat with Tab and Enter: its history says nothing.
  const toConversation = await tabTo(page, 'conversation-item');
  await page.keyboard.press('Enter');
  await visible(page.locator('[data-testid="message"]').filter({ hasText: 'old 60' }), 'the newest page');
  const rows = await scrollToTopCollecting(page);
  assert.equal(rows.length, 60, 'scrolled to the first message');
  assert.equal(await said(), '', 'history was announced');

  // An arrival is announced, with the sender's name; a burst in one sentence.
  await fromB('live one');
  await eventually('the arrival announced', async () => assert.equal(await said(), `New message from ${b.username}`));
  await Promise.all([fromB('live two'), fromB('live three')]);
  await eventually('the burst announced once', async () => assert.equal(await said(), `2 new messages from ${b.username}`));

  // Send from the keyboard: the composer is reached with Tab, Enter sends; my own message is not announced.
  // Straight to the composer from the chat's top (a skip button shown while focused).
  const toComposer = await tabTo(page, 'skip-to-composer', { max: 20 });
  assert.ok((await tid(page, 'skip-to-composer').boundingBox()).width > 1, 'the skip button shows while focused');
  await page.keyboard.press('Enter');
  await eventually('the focus in the composer', async () => assert.equal((await focused(page))?.id, 'composer-input'));
  await page.keyboard.type('typed without a mouse');
  await page.keyboard.press('Enter');
  // The list was scrolled to the top: my send brings it to the bottom, where my message shows.
  const mine = page.locator('[data-testid="message"][data-mine="true"]').filter({ hasText: 'typed without a mouse' });
  await eventually('my send acked', async () => assert.match((await mine.first().getAttribute('data-status')) ?? '', /^(sent|read)$/));
  await page.waitForTimeout(1000);
  assert.equal(await said(), `2 new messages from ${b.username}`);

  // Back from the composer to the last message's actions (hidden until focused), and delete it with Enter.
  const toActions = await tabTo(page, 'message-delete', { back: true, max: 8 });
  await shot(page, 'keyboard-focus.png');
  const deleting = await page.evaluate(() => document.activeElement?.closest('[data-testid="message"]')?.getAttribute('data-seq'));
  assert.ok(deleting, 'the focused action belongs to a stored message');
  await page.keyboard.press('Enter');
  await eventually('the message deleted with Enter', async () =>
    assert.equal(await page.locator(`[data-testid="message"][data-seq="${deleting}"]`).count(), 0),
  );

  // Phone width: Back from the keyboard puts the focus on the conversation in the list.
  await page.setViewportSize({ width: 390, height: 844 });
  await page.evaluate(() => (document.activeElement instanceof HTMLElement ? document.activeElement.blur() : undefined));
  const toBack = await tabTo(page, 'back-button', { max: 10 });
  await page.keyboard.press('Enter');
  await eventually('the focus on the conversation after Back', async () => assert.equal((await focused(page))?.id, 'conversation-item'));
  await page.setViewportSize({ width: 1200, height: 780 });
  await page.keyboard.press('Enter');
  await visible(tid(page, 'chat-view'), 'the chat again with Enter');

  // The side panel's tabs and their forms, from the keyboard.
  // From the top of the page again.
  await page.evaluate(() => (document.activeElement instanceof HTMLElement ? document.activeElement.blur() : undefined));
  const toFriends = await tabTo(page, 'tab-friends');
  await page.keyboard.press('Enter');
  await visible(tid(page, 'friends-panel'), 'the friends panel opened with Enter');
  const toSearch = await tabTo(page, 'search-input');
  await page.keyboard.type(b.username);
  await page.keyboard.press('Enter');
  await visible(page.locator(`[data-testid="search-hit"][data-username="${b.username}"]`), 'a search from the keyboard');
  const toOptions = await tabTo(page, 'friend-options');
  await page.keyboard.press('Enter');
  await visible(tid(page, 'friend-actions'), 'a friend’s options opened with Enter');
  const toRemark = await tabTo(page, 'friend-remark-input');
  await page.keyboard.type('Bee');
  await page.keyboard.press('Enter');
  await visible(page.locator('[data-testid="friend-name"]').filter({ hasText: 'Bee' }), 'a remark saved with Enter');
  const toGroups = await tabTo(page, 'tab-groups', { back: true });
  await page.keyboard.press('Enter');
  await visible(tid(page, 'groups-panel'), 'the groups panel opened with Enter');
  const toGroupName = await tabTo(page, 'group-name');
  await page.keyboard.type(`Keys ${run}`);
  // Enter in a field submits its form.
  await page.keyboard.press('Enter');
  await visible(page.locator(`[data-testid="group-item"][data-group-name="Keys ${run}"]`), 'a group created with Enter');
  // Its members and its settings: the form takes the focus, Escape gives it back.
  const toMembers = await tabTo(page, 'group-members-toggle', { back: true });
  await page.keyboard.press('Enter');
  await visible(tid(page, 'group-members'), 'the members opened with Enter');
  const toEdit = await tabTo(page, 'group-edit-toggle');
  await page.keyboard.press('Enter');
  await eventually('the focus in the group form', async () => assert.equal((await focused(page))?.id, 'group-edit-name'));
  await page.keyboard.press('Escape');
  await eventually('the focus back on Edit group', async () => assert.equal((await focused(page))?.id, 'group-edit-toggle'));
  const toSettings = await tabTo(page, 'tab-settings', { back: true });
  await page.keyboard.press('Enter');
  await visible(tid(page, 'settings-panel'), 'the settings opened with Enter');
  const toSignOut = await tabTo(page, 'sign-out');

  assertVisibleFocus([...toConversation, ...toComposer, ...toActions, ...toBack, ...toFriends, ...toSearch, ...toOptions, ...toRemark, ...toGroups, ...toGroupName, ...toMembers, ...toEdit, ...toSettings, ...toSignOut]);
  await page.keyboard.press('Enter');
  await visible(tid(page, 'auth-form'), 'signed out with Enter');

  assert.deepEqual(u.problems, []);
  await u.context.close();
});
