// How fast the client opens a big account, and how smoothly it pages back through a long
// conversation. Run against a running stack: `npm run build && npm run bench` (CHAT_WEB_URL as
// for the e2e tests). Writes ../docs/benchmarks/web-client.md. BENCH_DATA=/tmp/b.json keeps
// the data set between invocations (the setup takes about a minute); BENCH_RUNS=n for fewer runs.
//
// Setup (REST): a user with 50 friends who sent one message each (50 conversations) and one
// more friend who sent 10,000 (concurrency 16). Then, RUNS times in a fresh browser context
// (empty cache) with the session already in sessionStorage, from navigation start:
//   list  - the conversation list shows all 51 conversations;
//   open  - the page clicks the 10,000-message one as soon as it is listed; its newest
//           message (the highest seq) is rendered at the bottom of the message list;
// and then, scrolling up by 600 px a frame (a fast wheel), the time to load and show 1,000
// older messages, the long tasks (> 50 ms, PerformanceObserver) and the longest frame meanwhile.
import { existsSync, readFileSync, readdirSync, writeFileSync, mkdirSync, statSync } from 'node:fs';
import { cpus, totalmem } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { gzipSync } from 'node:zlib';
import { BASE, launch, rest, restBefriend, restUser } from '../e2e/helpers.mjs';

const HERE = dirname(fileURLToPath(import.meta.url));
const OUT = join(HERE, '..', '..', 'docs', 'benchmarks', 'web-client.md');
const FRIENDS = 50;
const BIG = 10_000;
const CONCURRENCY = 16;
const RUNS = 5;
const PAGE_BACK = 1_000;
const STEP_MS = 60_000;

/** Runs `task(i)` for i in [0, n) with at most `limit` in flight. */
async function pool(n, limit, task) {
  let next = 0;
  const worker = async () => {
    while (next < n) await task(next++);
  };
  await Promise.all(Array.from({ length: Math.min(limit, n) }, worker));
}

/**
 * A send, tried again on a 5xx or a network error (other tests may be restarting services on
 * the same stack); the same client_msg_id makes a repeat a duplicate, not a second message.
 */
async function say(from, to, id, text) {
  for (let attempt = 1; ; attempt++) {
    try {
      return await rest('POST', '/messages', { token: from.token, body: { kind: 'direct', target_id: to.id, client_msg_id: id, content: { type: 'text', text } } });
    } catch (e) {
      if (attempt >= 5 || / 4\d\d /.test(String(e.message))) throw e;
      await new Promise((r) => setTimeout(r, 500 * attempt));
    }
  }
}

async function setup() {
  const run = Date.now().toString(36);
  const started = Date.now();
  const me = await restUser(`bench_${run}`);
  const friends = new Array(FRIENDS + 1);
  await pool(FRIENDS + 1, CONCURRENCY, async (i) => {
    friends[i] = await restUser(`bf${i}_${run}`);
    await restBefriend(friends[i], me);
    if (i < FRIENDS) await say(friends[i], me, `b${i}-${run}`, `hello from friend ${i + 1}`);
  });
  const talker = friends[FRIENDS];
  await pool(BIG, CONCURRENCY, (i) => say(talker, me, `big${i}-${run}`, `long conversation, message ${i + 1}`));
  const conversation = me.id < talker.id ? `d:${me.id}:${talker.id}` : `d:${talker.id}:${me.id}`;
  const history = await rest('GET', `/conversations/${conversation}/messages?before=0&limit=1`, { token: me.token });
  const login = await rest('POST', '/auth/login', { body: { username: me.username, password: me.password, device: 'bench' } });
  return { session: { token: login.token, userId: me.id, user: login.user }, conversation, maxSeq: history.max_seq, setupMs: Date.now() - started };
}

// In the page, from the first script on: marks when the list is complete and when the big
// conversation shows its newest message, clicking it as soon as it is listed.
function instrument({ session, conversation, maxSeq, listCount }) {
  sessionStorage.setItem('chat.session', JSON.stringify(session));
  const marks = (window.__bench = {});
  const check = () => {
    if (marks.list === undefined && document.querySelectorAll('[data-testid="conversation-item"]').length >= listCount) marks.list = performance.now();
    const item = document.querySelector(`[data-testid="conversation-item"][data-conversation-id="${conversation}"]`);
    if (item && marks.click === undefined) {
      marks.click = performance.now();
      item.click();
    }
    const list = document.querySelector('[data-testid="message-list"]');
    const rows = list?.querySelectorAll('[data-testid="message"]');
    const last = rows?.[rows.length - 1];
    if (marks.open === undefined && last && Number(last.getAttribute('data-seq')) === maxSeq) {
      const box = list.getBoundingClientRect();
      const r = last.getBoundingClientRect();
      if (r.bottom <= box.bottom + 1 && r.top >= box.top) marks.open = performance.now();
    }
    if (marks.list === undefined || marks.open === undefined) requestAnimationFrame(check);
  };
  new MutationObserver(check).observe(document, { childList: true, subtree: true });
  requestAnimationFrame(check);
}

// In the page: scroll up a fast wheel's worth per frame until `extra` older rows are loaded.
function pageBack(extra) {
  return new Promise((resolve) => {
    const list = document.querySelector('[data-testid="message-list"]');
    const target = Number(list.getAttribute('data-rows')) + extra;
    const longTasks = [];
    const observer = new PerformanceObserver((l) => longTasks.push(...l.getEntries().map((e) => e.duration)));
    observer.observe({ type: 'longtask' });
    const t0 = performance.now();
    let prev = t0;
    let worstFrame = 0;
    let frames = 0;
    let maxDom = 0;
    const step = (now) => {
      worstFrame = Math.max(worstFrame, now - prev);
      prev = now;
      frames++;
      maxDom = Math.max(maxDom, list.querySelectorAll('[data-testid="message"]').length);
      if (Number(list.getAttribute('data-rows')) >= target) {
        observer.disconnect();
        resolve({ ms: now - t0, longTasks: longTasks.length, longestTaskMs: Math.max(0, ...longTasks), worstFrameMs: worstFrame, frames, maxDom });
        return;
      }
      list.scrollTop = Math.max(0, list.scrollTop - 600);
      requestAnimationFrame(step);
    };
    requestAnimationFrame(step);
  });
}

// In the page: jump down `px` per frame from the top to the bottom of a fully loaded list
// (every frame renders rows it never rendered before), counting long tasks and the worst frame.
function sweepDown(px) {
  return new Promise((resolve) => {
    const list = document.querySelector('[data-testid="message-list"]');
    const longTasks = [];
    const observer = new PerformanceObserver((l) => longTasks.push(...l.getEntries().map((e) => e.duration)));
    observer.observe({ type: 'longtask' });
    list.scrollTop = 0;
    const t0 = performance.now();
    let prev = t0;
    let worstFrame = 0;
    let frames = 0;
    const step = (now) => {
      worstFrame = Math.max(worstFrame, now - prev);
      prev = now;
      frames++;
      if (list.scrollTop + list.clientHeight >= list.scrollHeight - 1) {
        observer.disconnect();
        resolve({ ms: now - t0, frames, longTasks: longTasks.length, longestTaskMs: Math.max(0, ...longTasks), worstFrameMs: worstFrame, px: list.scrollHeight });
        return;
      }
      list.scrollTop += px;
      requestAnimationFrame(step);
    };
    requestAnimationFrame(step);
  });
}

/** Once: load all 10,000 messages by scrolling up, then sweep the whole list down. */
async function measureAll(browser, data) {
  const context = await browser.newContext({ viewport: { width: 1200, height: 780 }, locale: 'en-US' });
  const page = await context.newPage();
  page.setDefaultTimeout(STEP_MS);
  page.on('crash', () => console.error('the page crashed'));
  page.on('pageerror', (e) => console.error(`pageerror: ${e.message}`));
  await page.addInitScript(instrument, { session: data.session, conversation: data.conversation, maxSeq: data.maxSeq, listCount: FRIENDS + 1 });
  await page.goto(BASE, { waitUntil: 'load' });
  await page.waitForFunction(() => window.__bench?.open !== undefined, null, { timeout: STEP_MS });
  const back = await page.evaluate(pageBack, data.maxSeq - 50);
  const heap = await page.evaluate(() => performance.memory?.usedJSHeapSize ?? 0);
  const sweep = await page.evaluate(sweepDown, 3_000);
  await context.close();
  return { back, sweep, heapMb: heap / 2 ** 20 };
}

async function measure(browser, data) {
  const context = await browser.newContext({ viewport: { width: 1200, height: 780 }, locale: 'en-US' });
  const page = await context.newPage();
  page.setDefaultTimeout(STEP_MS);
  const errors = [];
  page.on('pageerror', (e) => errors.push(e.message));
  page.on('console', (m) => m.type() === 'error' && errors.push(`${m.text()} (${m.location().url})`));
  // The init script puts the session in sessionStorage before the app's first script runs.
  await page.addInitScript(instrument, { session: data.session, conversation: data.conversation, maxSeq: data.maxSeq, listCount: FRIENDS + 1 });
  await page.goto(BASE, { waitUntil: 'load' });
  await page.waitForFunction(() => window.__bench?.list !== undefined && window.__bench?.open !== undefined, null, { timeout: STEP_MS });
  const marks = await page.evaluate(() => window.__bench);
  const scroll = await page.evaluate(pageBack, PAGE_BACK);
  await context.close();
  // Not a test: errors (e.g. 502s while something restarts a gateway) are counted and shown.
  return { list: marks.list, open: marks.open, click: marks.click, ...scroll, errors };
}

function firstLoadSize() {
  const dist = join(HERE, '..', 'dist');
  const html = readFileSync(join(dist, 'index.html'), 'utf8');
  const files = [...html.matchAll(/(?:src|href)="\/?(assets\/[^"]+\.(?:js|css))"/g)].map((m) => m[1]);
  const rows = files.map((f) => {
    const bytes = readFileSync(join(dist, f));
    return { file: f, raw: bytes.length, gzip: gzipSync(bytes).length };
  });
  const all = readdirSync(join(dist, 'assets')).filter((f) => /\.(js|css)$/.test(f));
  return { rows, lazy: all.length - rows.length, built: statSync(join(dist, 'index.html')).mtime.toISOString() };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const fmt = (n) => Math.round(n).toLocaleString('en-US');

async function main() {
  console.log(`setup: 1 user, ${FRIENDS} one-message conversations, 1 with ${BIG} messages (concurrency ${CONCURRENCY})...`);
  // BENCH_DATA=file keeps the setup between runs of the script (made once, then read).
  const saved = process.env.BENCH_DATA;
  const data = saved && existsSync(saved) ? JSON.parse(readFileSync(saved, 'utf8')) : await setup();
  if (saved) writeFileSync(saved, JSON.stringify(data));
  console.log(`setup took ${(data.setupMs / 1000).toFixed(1)} s; max seq ${data.maxSeq}`);
  const browser = await launch();
  const runs = [];
  let all;
  try {
    for (let i = 0; i < (process.env.BENCH_RUNS ? Number(process.env.BENCH_RUNS) : RUNS); i++) {
      const r = await measure(browser, data);
      if (r.errors.length) console.log(`run ${i + 1}: ${r.errors.length} console error(s): ${r.errors.slice(0, 3).join('; ')}`);
      console.log(`run ${i + 1}: list ${fmt(r.list)} ms, open ${fmt(r.open)} ms, 1,000 back ${fmt(r.ms)} ms, long tasks ${r.longTasks}, worst frame ${fmt(r.worstFrameMs)} ms, max rows in DOM ${r.maxDom}`);
      runs.push(r);
    }
    all = await measureAll(browser, data);
    console.log(`all ${data.maxSeq}: loaded in ${fmt(all.back.ms)} ms (long tasks ${all.back.longTasks}, worst frame ${fmt(all.back.worstFrameMs)} ms); sweep down ${fmt(all.sweep.px)} px in ${all.sweep.frames} frames, long tasks ${all.sweep.longTasks}, worst frame ${fmt(all.sweep.worstFrameMs)} ms`);
  } finally {
    await browser.close();
  }
  const size = firstLoadSize();
  writeFileSync(OUT, report(data, runs, size, all));
  console.log(`wrote ${OUT}`);
}

function report(data, runs, size, all) {
  const cpu = cpus();
  const total = size.rows.reduce((a, r) => ({ raw: a.raw + r.raw, gzip: a.gzip + r.gzip }), { raw: 0, gzip: 0 });
  const col = (k) => runs.map((r) => fmt(r[k]));
  const line = (name, k, unit = 'ms') => `| ${name} | ${col(k).join(' | ')} | **${fmt(median(runs.map((r) => r[k])))}** ${unit} |`;
  return `# Web client: opening a big account

Written by \`web/bench/open.mjs\` (\`cd web && npm run build && npm run bench\`) on ${new Date().toISOString().slice(0, 10)}.

## Machine and method

- ${cpu.length} cores (${cpu[0]?.model ?? 'unknown CPU'}), ${(totalmem() / 2 ** 30).toFixed(1)} GiB; the whole stack
  (MariaDB, Redis, RocketMQ, router, account, message, 3 debug-build gateways, OpenResty) runs on
  the same machine as headless Chromium (\`--disable-gpu\`), against ${BASE}.
- Data, made over REST (concurrency ${CONCURRENCY}, ${(data.setupMs / 1000).toFixed(1)} s): one user with ${FRIENDS} friends who
  sent one message each, and one more friend who sent ${fmt(BIG)} messages (max seq ${data.maxSeq}): 51 conversations.
- ${RUNS} runs, each in a fresh browser context (empty HTTP cache), with the session already in
  sessionStorage. Times are \`performance.now()\` in the page, i.e. from navigation start:
  - **list**: the conversation list shows all 51 conversations;
  - **open**: a script clicks the ${fmt(BIG)}-message conversation as soon as it is listed, and
    its newest message (seq ${data.maxSeq}) is rendered at the bottom of the message list
    (the newest page of 50 is fetched; the list is virtualised);
  - **1,000 back**: then scrolling up 600 px per animation frame until 1,000 older messages are
    loaded (20 pages of 50 with \`?before=\`, each fetched when the viewport comes within a
    screen of the top) and shown; during it, long tasks (> 50 ms) from a
    \`PerformanceObserver\`, the longest frame (between two \`requestAnimationFrame\`s), and the
    most message rows in the DOM at once.

## Results

| | ${runs.map((_, i) => `run ${i + 1}`).join(' | ')} | median |
| --- | ${runs.map(() => '---:').join(' | ')} | ---: |
${line('list shown', 'list')}
${line('big conversation open, newest visible', 'open')}
${line('page back 1,000 messages', 'ms')}
${line('long tasks while paging back', 'longTasks', '')}
${line('longest long task', 'longestTaskMs')}
${line('longest frame while paging back', 'worstFrameMs')}
${line('most message rows in the DOM', 'maxDom', '')}

Then once, in one more context: scrolling up until all ${fmt(data.maxSeq)} messages are loaded
(${fmt(data.maxSeq / 50 - 1)} pages) took ${fmt(all.back.ms)} ms with ${all.back.longTasks} long task(s) (longest ${fmt(all.back.longestTaskMs)} ms) and a worst frame
of ${fmt(all.back.worstFrameMs)} ms, at most ${all.back.maxDom} message rows in the DOM; the JS heap was then ${all.heapMb.toFixed(1)} MB. With all of them
loaded, jumping down 3,000 px per frame from the top to the bottom (${fmt(all.sweep.px)} px, every frame
rendering rows not rendered before) took ${all.sweep.frames} frames in ${fmt(all.sweep.ms)} ms: ${all.sweep.longTasks} long task(s), worst frame
${fmt(all.sweep.worstFrameMs)} ms.

Console errors during the runs: ${runs.map((r) => r.errors.length).join(', ')}${runs.some((r) => r.errors.length) ? ' (a run with errors was disturbed by the stack, e.g. a gateway restarting: 502s)' : ''}.

Target: open in at most 1 s. Median open: **${fmt(median(runs.map((r) => r.open)))} ms**.

## First load size

\`gzip\` (zlib default level) of what index.html loads, from \`web/dist\` built ${size.built}:

| file | raw | gzip |
| --- | ---: | ---: |
${size.rows.map((r) => `| \`${r.file}\` | ${fmt(r.raw)} B | ${fmt(r.gzip)} B |`).join('\n')}
| **JS + CSS** | ${fmt(total.raw)} B | **${fmt(total.gzip)} B (${(total.gzip / 1024).toFixed(1)} KiB)** |

${size.lazy > 0 ? `${size.lazy} more chunk(s) load later, on demand.` : 'No lazy chunks: everything loads on the first visit.'}
`;
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
