// Shared by the end-to-end tests: a headless Chromium through playwright-core, bounded waits,
// and screenshots (see SHOTS).
import assert from 'node:assert/strict';
import { mkdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before } from 'node:test';
import { chromium } from 'playwright-core';

/** The page under test: the gateways (through OpenResty) by default, or a Vite preview. */
export const BASE = process.env.CHAT_WEB_URL ?? 'http://127.0.0.1:8080';
// Screenshots go to web/test-results/ (ignored by git) unless CHAT_SCREENSHOTS names another
// folder: `CHAT_SCREENSHOTS=../docs/web-client npm run e2e` refreshes the documentation's.
export const SHOTS = process.env.CHAT_SCREENSHOTS
  ? resolve(process.env.CHAT_SCREENSHOTS)
  : join(dirname(fileURLToPath(import.meta.url)), '..', 'test-results');
const WAIT_MS = 15_000;

/** `extraArgs`: more Chromium switches (the media test's fake microphone). */
export async function launch(extraArgs = []) {
  return chromium.launch({
    executablePath: process.env.CHROMIUM_PATH ?? '/usr/bin/chromium',
    headless: true,
    args: ['--no-sandbox', '--disable-background-networking', '--disable-gpu', '--disable-component-update', '--disable-sync', '--no-first-run', ...extraArgs],
    timeout: 30_000,
  });
}

/** A fresh browser context (its own sessionStorage: one user) with a page on BASE. */
/** One Chromium for a test file's tests, launched before them and closed after them; returns
 * `open(viewport?, locale?)`, which opens a new user's browser context in it (see openUser). */
export function browserForFile(extraArgs = []) {
  let browser;
  before(async () => {
    browser = await launch(extraArgs);
  });
  after(async () => {
    await browser?.close();
  });
  return (...args) => openUser(browser, ...args);
}

export async function openUser(browser, viewport = { width: 1200, height: 780 }, locale = 'en-US') {
  const context = await browser.newContext({ viewport, locale });
  const page = await context.newPage();
  page.setDefaultTimeout(WAIT_MS);
  const problems = [];
  page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
  page.on('console', (m) => {
    if (m.type() === 'error') problems.push(`console: ${m.text()}`);
  });
  await page.goto(BASE, { waitUntil: 'load', timeout: WAIT_MS });
  return { context, page, problems };
}

/** Polls `check` until it stops throwing, for at most `ms` (expect-style, never unbounded). */
export async function eventually(what, check, ms = WAIT_MS) {
  const deadline = Date.now() + ms;
  let last;
  for (;;) {
    try {
      return await check();
    } catch (e) {
      last = e;
    }
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}: ${last?.message ?? last}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Waits until the locator is visible (bounded). */
export async function visible(locator, what, ms = WAIT_MS) {
  await eventually(what, async () => assert.ok(await locator.first().isVisible(), `${what} not visible`), ms);
  return locator.first();
}

export async function shot(page, name) {
  mkdirSync(SHOTS, { recursive: true });
  await page.screenshot({ path: join(SHOTS, name), timeout: WAIT_MS });
}

export const tid = (page, id) => page.getByTestId(id);

/** Signs up through the UI and waits until the signed-in shell shows. */
export async function signUp(page, username, password, nickname) {
  await tid(page, 'auth-toggle').click();
  await tid(page, 'auth-username').fill(username);
  await tid(page, 'auth-nickname').fill(nickname);
  await tid(page, 'auth-password').fill(password);
  await tid(page, 'auth-submit').click();
  await visible(tid(page, 'current-user'), `${username} signed in`);
}

/** Signs in through the UI. */
export async function signIn(page, username, password) {
  await tid(page, 'auth-username').fill(username);
  await tid(page, 'auth-password').fill(password);
  await tid(page, 'auth-submit').click();
  await visible(tid(page, 'current-user'), `${username} signed in`);
}

/** REST against BASE, for setting up what a test does not exercise through the UI. */
export async function rest(method, path, { token, body } = {}) {
  const res = await fetch(`${BASE}/api/v1${path}`, {
    method,
    headers: { 'content-type': 'application/json', ...(token ? { authorization: `Bearer ${token}` } : {}) },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(WAIT_MS),
  });
  const text = await res.text();
  if (!res.ok) throw new Error(`${method} ${path}: ${res.status} ${text}`);
  return text ? JSON.parse(text) : undefined;
}

/** Registers and logs a user in over REST; returns { username, password, token, id }. */
export async function restUser(username, password = 'e2e-password-1') {
  await rest('POST', '/auth/register', { body: { username, password, nickname: username } });
  const login = await rest('POST', '/auth/login', { body: { username, password, device: 'e2e' } });
  return { username, password, token: login.token, id: login.user.user_id };
}

/** Makes two REST users friends (a asks, b accepts). */
export async function restBefriend(a, b) {
  const { request } = await rest('POST', '/friends/requests', { token: a.token, body: { to_user_id: b.id } });
  await rest('POST', `/friends/requests/${request.request_id}/accept`, { token: b.token });
}

/** Opens a conversation from the list and waits for its chat view. */
export async function openConversation(page, conversation) {
  const item = await visible(page.locator(`[data-testid="conversation-item"][data-conversation-id="${conversation}"]`), 'the conversation');
  await item.click();
  await visible(tid(page, 'chat-view'), 'the chat');
}

/**
 * Two new friends, `${tag}a_${run}` and `${tag}b_${run}`, whose conversation has A's message
 * 'start' (a conversation is listed once it has one), each signed in on a page of their own with
 * it open: { a, b, conversation, ua, ub }. `watch(u)` runs on each page before it signs in.
 */
export async function friendsInChat(browser, tag, run, watch = () => {}) {
  const [a, b] = await Promise.all([restUser(`${tag}a_${run}`), restUser(`${tag}b_${run}`)]);
  await restBefriend(a, b);
  const conversation = a.id < b.id ? `d:${a.id}:${b.id}` : `d:${b.id}:${a.id}`;
  await rest('POST', '/messages', { token: a.token, body: { kind: 'direct', target_id: b.id, client_msg_id: `${tag}0-${run}`, content: { type: 'text', text: 'start' } } });
  const [ua, ub] = [await openUser(browser), await openUser(browser)];
  for (const u of [ua, ub]) watch(u);
  await signIn(ua.page, a.username, a.password);
  await signIn(ub.page, b.username, b.password);
  for (const u of [ua, ub]) await openConversation(u.page, conversation);
  return { a, b, conversation, ua, ub };
}
