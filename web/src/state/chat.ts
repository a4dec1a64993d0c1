// Conversations and their timelines, kept consistent across pushes, pulls and reconnects
// (docs/protocol.md, "Delivery and resync"): every message is merged by seq, so nothing shows
// twice, and a seq gap is pulled. The views use this module; reads and sends live beside it.
import { ApiFailure, api, call } from '../api/client';
import type { ChatMessage } from '../api/types';
import { isArrival, type Arrival } from '../logic/announce';
import { applyMessage, mergeListAnswer } from '../logic/conversations';
import { peerOf } from '../logic/conversationId';
import { removePending } from '../logic/outbox';
import { applyAfterPage, applyNewestPage, applyOlderPage, applyRecall, emptyTimeline, gapAfter, mergeMessages } from '../logic/timeline';
import type { AckFrame, RecallFrame } from '../ws/frames';
import { announceArrivals, resetAnnouncer } from './announcer';
import { conversations, me, noteSenders, openId, outbox, resetStore, setTimeline, timeline, timelines, viewing } from './chatStore';
import { blankPreview, stopSelecting } from './messageActions';
import { loadGroupReads, loadPeerRead, markRead, refreshGroupReads, resetGroupReads, resetReads } from './reads';
import { forgetUrls } from './fileUrls';
import { lastSend, resendAll } from './sends';
import { cancelAllUploads } from './uploads';
import { ensureUsers } from './users';

export { conversations, openId, outbox, peerRead, setTransmit, timelines } from './chatStore';
export { groupReads, loadGroupReads, markRead, onReadAck, onReadReceipt } from './reads';
export { keepOutbox, lastSend, onSendError, retry, sendContent, sendText } from './sends';

const PAGE = 50;

export function resetChat(): void {
  resetStore();
  resetReads();
  resetGroupReads();
  resetAnnouncer();
  stopSelecting();
  lastSend.value = null;
  cancelAllUploads();
  forgetUrls();
}

/** Messages received while a GET /conversations is in flight, one array per request. */
const duringList = new Set<ChatMessage[]>();

export async function loadConversations(): Promise<void> {
  const arrived: ChatMessage[] = [];
  duringList.add(arrived);
  let answer;
  try {
    answer = await call(api.GET('/conversations', { params: { query: { limit: 100 } } }));
  } finally {
    duringList.delete(arrived);
  }
  const mine = me();
  // Pushes that arrived while the list was in flight may be newer than its snapshot: applied again.
  const list = mergeListAnswer(conversations.value, answer.conversations ?? [], arrived, mine, viewing);
  conversations.value = list;
  ensureUsers(list.map((c) => (c.kind === 'direct' ? (peerOf(c.conversation_id, mine) ?? c.target_id) : 0)));
}

/** Adds messages to the list and, when loaded, the timeline; pulls if they reveal a gap. */
function receive(list: readonly ChatMessage[]): void {
  const mine = me();
  const arrivals: Arrival[] = [];
  for (const pending of duringList) pending.push(...list);
  for (const m of list) {
    const known = conversations.value.find((c) => c.conversation_id === m.conversation_id)?.max_seq ?? 0;
    if (isArrival(m, mine, known)) arrivals.push({ senderId: m.sender_id, conversationId: m.conversation_id });
    conversations.value = applyMessage(conversations.value, m, mine, viewing(m.conversation_id));
    if (m.sender_id === mine && m.client_msg_id) outbox.value = removePending(outbox.value, m.client_msg_id);
    const t = timelines.value[m.conversation_id];
    if (t) setTimeline(m.conversation_id, mergeMessages(t, [m]));
  }
  noteSenders(list);
  announceArrivals(arrivals);
  for (const id of new Set(list.map((m) => m.conversation_id))) {
    if (gapAfter(timeline(id)) !== null) void pullAfter(id);
    if (viewing(id)) markRead(id);
    if (viewing(id) && list.some((m) => m.conversation_id === id && m.sender_id !== mine)) refreshGroupReads(id);
  }
}

export function onMessage(m: ChatMessage): void {
  receive([m]);
}

/** My send was stored: it becomes a message like any other (and leaves the outbox). */
export function onAck(ack: AckFrame): void {
  const p = outbox.value.find((x) => x.client_msg_id === ack.client_msg_id);
  outbox.value = removePending(outbox.value, ack.client_msg_id);
  if (!p) return;
  receive([
    {
      message_id: ack.message_id,
      conversation_id: ack.conversation_id,
      kind: p.kind,
      seq: ack.seq,
      sender_id: me(),
      client_msg_id: ack.client_msg_id,
      content: p.content,
      server_time_ms: ack.server_time_ms,
      target_id: p.target_id,
    },
  ]);
}

export function onRecall(frame: RecallFrame): void {
  const t = timelines.value[frame.conversation_id];
  if (t) setTimeline(frame.conversation_id, applyRecall(t, frame.seq, frame.recalled_at_ms));
  blankPreview(frame.conversation_id, frame.seq, frame.recalled_at_ms);
}

const pulling = new Map<string, Promise<void>>();
const pullAgain = new Set<string>();

/** Pulls everything after the timeline's contiguous seq; one pull per conversation at a time. */
export function pullAfter(id: string): Promise<void> {
  const running = pulling.get(id);
  if (running) {
    pullAgain.add(id);
    return running;
  }
  const run = (async () => {
    try {
      do {
        pullAgain.delete(id);
        let more = true;
        while (more) {
          const after = timeline(id).contiguous;
          const page = await call(
            api.GET('/conversations/{conversation_id}/messages', { params: { path: { conversation_id: id }, query: { after, limit: 200 } } }),
          );
          const messages = page.messages ?? [];
          receive(messages);
          setTimeline(id, applyAfterPage(timeline(id), { messages, has_more: page.has_more ?? false, max_seq: page.max_seq ?? 0 }));
          more = (page.has_more ?? false) && messages.length > 0;
        }
      } while (pullAgain.has(id));
    } finally {
      pulling.delete(id);
    }
  })();
  pulling.set(id, run);
  return run;
}

/** The newest page; a conversation that has no message yet (a new friend) is an empty one. */
async function newestPage(id: string) {
  try {
    return await call(
      api.GET('/conversations/{conversation_id}/messages', { params: { path: { conversation_id: id }, query: { before: 0, limit: PAGE } } }),
    );
  } catch (e) {
    if (e instanceof ApiFailure && e.status === 404) return { messages: [], has_more: false, max_seq: 0 };
    throw e;
  }
}

/** Opens a conversation: its newest page, the peer's read cursor, and marks it read. */
export async function open(id: string): Promise<void> {
  if (openId.value !== id) stopSelecting();
  openId.value = id;
  const mine = me();
  const peer = peerOf(id, mine);
  if (peer !== null) ensureUsers([peer]);
  if (!timeline(id).loaded) {
    // From here on pushes for it are kept (merged by seq with the page below), so a message
    // committed while the page is in flight is not lost.
    if (!timelines.value[id]) setTimeline(id, emptyTimeline);
    const page = await newestPage(id);
    const messages = page.messages ?? [];
    noteSenders(messages);
    setTimeline(id, applyNewestPage(timeline(id), { messages, has_more: page.has_more ?? false, max_seq: page.max_seq ?? 0 }));
    const newest = timeline(id).messages[timeline(id).messages.length - 1];
    if (newest) conversations.value = applyMessage(conversations.value, newest, mine, true);
    if (peer !== null) await loadPeerRead(id);
  }
  if (gapAfter(timeline(id)) !== null) await pullAfter(id);
  markRead(id);
  if (peer === null) await loadGroupReads(id);
}

export async function loadOlder(id: string): Promise<void> {
  const t = timeline(id);
  if (!t.hasOlder || t.oldest <= 1) return;
  const page = await call(
    api.GET('/conversations/{conversation_id}/messages', { params: { path: { conversation_id: id }, query: { before: t.oldest, limit: PAGE } } }),
  );
  const messages = page.messages ?? [];
  noteSenders(messages);
  setTimeline(id, applyOlderPage(timeline(id), { messages, has_more: page.has_more ?? false, max_seq: page.max_seq ?? 0 }));
}

export function close(): void {
  stopSelecting();
  openId.value = null;
}

/**
 * After every hello: the unacked sends again, the conversation list, GET /sync (unread
 * everywhere), and a pull after the last seq of every loaded conversation.
 */
export async function resync(): Promise<void> {
  resetReads();
  // First the sends that were never acked, in their order: they do not depend on the pulls,
  // and a send stored before the drop comes back as a duplicate ack.
  resendAll();
  await loadConversations();
  const synced = await call(api.GET('/sync'));
  for (const u of synced.conversations) {
    if (timelines.value[u.conversation.conversation_id]?.loaded) receive(u.messages);
  }
  const loaded = Object.entries(timelines.value)
    .filter(([, t]) => t.loaded)
    .map(([id]) => id);
  await Promise.all(loaded.map((id) => pullAfter(id)));
  if (openId.value) markRead(openId.value);
  if (openId.value?.startsWith('g:')) await loadGroupReads(openId.value);
}
