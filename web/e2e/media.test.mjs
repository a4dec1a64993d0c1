// Pictures, voice notes and files: A sends an 800x600 PNG (its thumbnail shows at B in the box
// the picture's size reserved, and opens at full size), records a voice note on Chromium's fake
// microphone (B's player loads it), sends a small file (B sees its name and size and downloads
// the same bytes); a picture that does not decode is refused in plain words, then cancelled.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { browserForFile, eventually, rest, restBefriend, restUser, shot, signIn, tid, visible } from './helpers.mjs';

const run = Date.now().toString(36);
// A fake microphone (a beeping tone) that getUserMedia gets without asking.
const open = browserForFile(['--use-fake-device-for-media-stream', '--use-fake-ui-for-media-stream']);

test('a picture, a voice note and a file sent and shown', { timeout: 150_000 }, async () => {
  const [a, b] = await Promise.all([restUser(`med_a_${run}`), restUser(`med_b_${run}`)]);
  await restBefriend(a, b);
  const conversation = a.id < b.id ? `d:${a.id}:${b.id}` : `d:${b.id}:${a.id}`;
  await rest('POST', '/messages', { token: a.token, body: { kind: 'direct', target_id: b.id, client_msg_id: `med-hi-${run}`, content: { type: 'text', text: 'hello' } } });

  const [ua, ub] = await Promise.all([open(), open()]);
  await ua.context.grantPermissions(['microphone']);
  for (const [u, who] of [
    [ua, a],
    [ub, b],
  ]) {
    await signIn(u.page, who.username, who.password);
    await (await visible(u.page.locator(`[data-testid="conversation-item"][data-conversation-id="${conversation}"]`), 'the conversation')).click();
    await visible(u.page.getByTestId('message-text').filter({ hasText: 'hello' }), 'the first message');
  }
  const pa = ua.page;
  const pb = ub.page;

  // An 800x600 PNG drawn by the browser, written to a temporary file.
  const dir = mkdtempSync(join(tmpdir(), 'chat-media-'));
  const png = join(dir, 'picture.png');
  const dataUrl = await pa.evaluate(() => {
    const c = document.createElement('canvas');
    c.width = 800;
    c.height = 600;
    const g = c.getContext('2d');
    const grad = g.createLinearGradient(0, 0, 800, 600);
    grad.addColorStop(0, '#2563eb');
    grad.addColorStop(1, '#f59e0b');
    g.fillStyle = grad;
    g.fillRect(0, 0, 800, 600);
    g.fillStyle = '#fff';
    g.font = 'bold 72px sans-serif';
    g.fillText('800 x 600', 220, 320);
    return c.toDataURL('image/png');
  });
  writeFileSync(png, Buffer.from(dataUrl.split(',')[1], 'base64'));

  // The picture: uploaded with a progress bar, then sent; B sees the thumbnail in its box.
  await tid(pa, 'attach-input').setInputFiles(png);
  const imageAt = (page) => page.locator('[data-testid="message"][data-seq] [data-testid="message-image"] img');
  await eventually('the picture sent and acked at A', async () => assert.equal(await imageAt(pa).count(), 1));
  assert.equal(await tid(pa, 'upload').count(), 0);
  const thumb = imageAt(pb);
  await eventually('the thumbnail loaded at B', async () => assert.ok((await thumb.evaluate((img) => img.complete && img.naturalWidth)) > 0));
  // The box was reserved from the message's width and height (800x600 within 240 px).
  assert.deepEqual(await thumb.evaluate((img) => [img.getAttribute('width'), img.getAttribute('height'), Math.round(img.getBoundingClientRect().height)]), ['240', '180', 180]);
  assert.equal(await thumb.evaluate((img) => img.naturalWidth), 320); // the server's thumbnail
  await shot(pb, 'picture.png');

  // Opened at full size with the keyboard, closed with Escape (the focus comes back).
  await pb.locator('[data-testid="message"][data-seq] [data-testid="message-image"]').focus();
  await pb.keyboard.press('Enter');
  const full = await visible(tid(pb, 'image-full'), 'the full picture');
  await eventually('the full picture loaded', async () => assert.equal(await full.evaluate((img) => img.complete && img.naturalWidth), 800));
  assert.equal(await pb.evaluate(() => document.activeElement?.getAttribute('data-testid')), 'image-viewer-close');
  await shot(pb, 'picture-full.png');
  await pb.keyboard.press('Escape');
  await eventually('the viewer closed', async () => assert.equal(await tid(pb, 'image-viewer').count(), 0));
  assert.equal(await pb.evaluate(() => document.activeElement?.getAttribute('data-testid')), 'message-image');

  // A voice note from the fake microphone: the elapsed time runs, Send uploads and sends it.
  await tid(pa, 'record-button').click();
  await visible(tid(pa, 'recorder'), 'the recorder');
  await eventually('a second recorded', async () => assert.match(await tid(pa, 'recording-time').innerText(), /Recording 0:0[1-9]/), 10_000);
  await pa.waitForTimeout(300);
  await shot(pa, 'voice-recording.png');
  await tid(pa, 'recording-send').click();
  const audio = pb.locator('[data-testid="message"][data-seq] [data-testid="voice-audio"]').first();
  await eventually('the voice note playable at B', async () =>
    assert.ok(await audio.evaluate((el) => el.readyState >= 1 || el.duration > 0), 'the audio did not load'),
  );
  assert.match(await pb.locator('[data-testid="message"][data-seq] [data-testid="voice-duration"]').first().innerText(), /^0:0[1-9]$/);

  // Hold to talk: pressed for 1.5 s and let go, it is sent without another click.
  const voices = pb.locator('[data-testid="message"][data-seq] [data-testid="voice-audio"]');
  await tid(pa, 'record-button').hover();
  await pa.mouse.down();
  await visible(tid(pa, 'recorder'), 'the recorder while held');
  await pa.waitForTimeout(1500);
  await pa.mouse.up();
  await eventually('the held voice note at B', async () => assert.equal(await voices.count(), 2));
  assert.equal(await tid(pa, 'recorder').count(), 0);

  // A small file: a card with its name and size, and a download of the same bytes.
  const body = 'notes '.repeat(250); // 1,500 bytes
  const txt = join(dir, 'notes.txt');
  writeFileSync(txt, body);
  await tid(pa, 'attach-input').setInputFiles(txt);
  const card = pb.locator('[data-testid="message"][data-seq] [data-testid="message-file"]');
  await visible(card, 'the file at B');
  assert.equal(await card.getByTestId('file-name').innerText(), 'notes.txt');
  assert.equal(await card.getByTestId('file-size').innerText(), '1.5 KB');
  // My own copy (built from the ack, which carries no content) says the same.
  const mineCard = pa.locator('[data-testid="message"][data-seq] [data-testid="message-file"]');
  await visible(mineCard, 'the file at A');
  assert.deepEqual([await mineCard.getByTestId('file-name').innerText(), await mineCard.getByTestId('file-size').innerText()], ['notes.txt', '1.5 KB']);
  const href = await (await visible(card.getByTestId('file-download'), 'the download link')).getAttribute('href');
  assert.match(href, /^\/api\/v1\/files\/\d+\?/);
  assert.equal(await pb.evaluate(async (url) => (await fetch(url)).text(), href), body);
  await shot(pb, 'media.png');

  // A "picture" that is not one: refused in plain words, with Retry and Cancel.
  const fake = join(dir, 'broken.png');
  writeFileSync(fake, Buffer.concat([Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]), Buffer.alloc(200, 7)]));
  await tid(pa, 'attach-input').setInputFiles(fake);
  const problem = await visible(tid(pa, 'upload-problem'), 'the refusal');
  assert.equal(await problem.innerText(), 'This type of file cannot be sent here.');
  await visible(tid(pa, 'upload-retry'), 'Retry');
  await shot(pa, 'upload-refused.png');
  await tid(pa, 'upload-cancel').click();
  assert.equal(await tid(pa, 'upload').count(), 0);

  // A bigger file on a slow uplink (Chromium's network emulation): its progress bar fills.
  const big = join(dir, 'big.bin');
  writeFileSync(big, Buffer.alloc(1536 * 1024, 1));
  const cdp = await ua.context.newCDPSession(pa);
  await cdp.send('Network.enable');
  await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 20, downloadThroughput: -1, uploadThroughput: 256 * 1024 });
  await tid(pa, 'attach-input').setInputFiles(big);
  const bar = await visible(tid(pa, 'upload-progress'), 'the progress bar');
  await eventually('part of it sent', async () => {
    const [value, max] = await bar.evaluate((el) => [el.value, el.max]);
    assert.ok(value > 0 && value < max, `${value} of ${max}`);
  });
  await shot(pa, 'upload-progress.png');
  await cdp.send('Network.emulateNetworkConditions', { offline: false, latency: 0, downloadThroughput: -1, uploadThroughput: -1 });
  await eventually('the big file sent', async () => assert.equal(await tid(pa, 'upload').count(), 0), 30_000);
  await visible(pb.locator('[data-testid="message"][data-seq] [data-testid="file-name"]').filter({ hasText: 'big.bin' }), 'the big file at B');

  // A microphone refused: said plainly, nothing recorded.
  await pa.evaluate(() => {
    navigator.mediaDevices.getUserMedia = () => Promise.reject(new DOMException('Permission denied', 'NotAllowedError'));
  });
  await tid(pa, 'record-button').click();
  assert.equal(await (await visible(tid(pa, 'mic-problem'), 'the refusal')).innerText(), 'Microphone permission denied: allow the microphone for this site to record.');
  assert.equal(await tid(pa, 'recorder').count(), 0);

  // The server has them all, as B's history says.
  const { messages } = await rest('GET', `/conversations/${conversation}/messages?after=0`, { token: b.token });
  assert.deepEqual(
    messages.map((m) => m.content.type),
    ['text', 'image', 'voice', 'voice', 'file', 'file'],
  );
  const [, image, voice, held, file, bigFile] = messages.map((m) => m.content);
  assert.ok(held.duration_ms >= 1000, JSON.stringify(held));
  assert.equal(bigFile.size_bytes, 1536 * 1024);
  assert.deepEqual([image.width, image.height, image.mime], [800, 600, 'image/png']);
  assert.ok(voice.duration_ms >= 1000 && voice.mime.startsWith('audio/'), JSON.stringify(voice));
  assert.deepEqual([file.name, file.size_bytes], ['notes.txt', 1500]);

  // The refused upload's 415 is the one console error expected (Chromium logs failed loads).
  assert.deepEqual(
    ua.problems.filter((p) => !/Failed to load resource: the server responded with a status of 415/.test(p)),
    [],
  );
  assert.deepEqual(ub.problems, []);
  await Promise.all([ua.context.close(), ub.context.close()]);
});
