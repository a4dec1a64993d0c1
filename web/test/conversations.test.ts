import { describe, expect, it } from 'vitest';
import type { Conversation } from '../src/api/types';
import { applyMessage, applyRead, mergeListAnswer, sortByActivity, totalUnread } from '../src/logic/conversations';
import { directConversationId, peerOf } from '../src/logic/conversationId';
import { msg } from './fixtures';

const conv = (id: string, last: number, over: Partial<Conversation> = {}): Conversation => ({
  conversation_id: id,
  kind: 'direct',
  target_id: 2,
  last_message: null,
  max_seq: 1,
  read_seq: 1,
  unread: 0,
  last_activity_ms: last,
  ...over,
});

describe('conversation list', () => {
  it('sorts by last activity, newest first', () => {
    expect(sortByActivity([conv('d:1:2', 1), conv('d:1:3', 3)]).map((c) => c.conversation_id)).toEqual(['d:1:3', 'd:1:2']);
  });

  it('moves a conversation up and counts unread for messages from others', () => {
    const list = [conv('d:1:3', 500_000), conv('d:1:2', 1)];
    const next = applyMessage(list, msg(2), 1, false);
    expect(next[0]?.conversation_id).toBe('d:1:2');
    expect(next[0]?.unread).toBe(1);
    expect(next[0]?.last_message?.seq).toBe(2);
  });

  it('ignores repeats and does not count my own or viewed messages', () => {
    let list = applyMessage([conv('d:1:2', 1)], msg(2), 1, false);
    list = applyMessage(list, msg(2), 1, false);
    expect(list[0]?.unread).toBe(1);
    list = applyMessage(list, msg(3, { sender_id: 1 }), 1, false);
    expect(list[0]?.unread).toBe(1);
    expect(list[0]?.read_seq).toBe(3);
    list = applyMessage(list, msg(4), 1, true);
    expect(list[0]?.unread).toBe(1);
  });

  it('creates a conversation on its first message, with the peer as target', () => {
    const list = applyMessage([], msg(1, { conversation_id: 'd:1:7', sender_id: 7 }), 1, false);
    expect(list[0]?.target_id).toBe(7);
    expect(totalUnread(list)).toBe(1);
  });

  it('applies read acks and never moves the cursor back', () => {
    let list = [conv('d:1:2', 1, { max_seq: 9, read_seq: 5, unread: 4 })];
    list = applyRead(list, 'd:1:2', 9, 0);
    expect(list[0]).toMatchObject({ read_seq: 9, unread: 0 });
    list = applyRead(list, 'd:1:2', 3);
    expect(list[0]?.read_seq).toBe(9);
  });
});

describe('conversation ids', () => {
  it('orders the two users', () => {
    expect(directConversationId(9, 3)).toBe('d:3:9');
    expect(peerOf('d:3:9', 9)).toBe(3);
    expect(peerOf('d:3:9', 4)).toBeNull();
    expect(peerOf('g:5', 3)).toBeNull();
  });
});

describe('the list answer and pushes in flight', () => {
  const none = () => false;

  it('counts a message pushed while the list was in flight on top of the answer', () => {
    // Seq 1 was in the server's snapshot; seq 2 was pushed while the answer travelled, and the
    // push made the entry (unread 1). The answer says unread 1 at seq 1: the total is 2.
    const pushed = applyMessage([], msg(2), 1, false);
    const answer = [conv('d:1:2', 1, { max_seq: 1, read_seq: 0, unread: 1, last_message: msg(1) })];
    const merged = mergeListAnswer(pushed, answer, [msg(2)], 1, none);
    expect(merged).toHaveLength(1);
    expect(merged[0]).toMatchObject({ max_seq: 2, unread: 2 });
    expect(merged[0]?.last_message?.seq).toBe(2);
  });

  it('counts nothing twice: a push the snapshot already has changes nothing', () => {
    const answer = [conv('d:1:2', 1, { max_seq: 2, read_seq: 0, unread: 2 })];
    expect(mergeListAnswer(applyMessage([], msg(2), 1, false), answer, [msg(2)], 1, none)[0]).toMatchObject({ max_seq: 2, unread: 2 });
    // Nor a message of a conversation on screen.
    const open = mergeListAnswer([], [conv('d:1:2', 1, { max_seq: 1, read_seq: 1, unread: 0 })], [msg(2)], 1, () => true);
    expect(open[0]).toMatchObject({ max_seq: 2, unread: 0 });
  });

  it('keeps what the answer lacks or has older', () => {
    const local = [conv('d:1:3', 5, { max_seq: 4 }), conv('d:1:2', 9, { max_seq: 7, unread: 3 })];
    const merged = mergeListAnswer(local, [conv('d:1:2', 8, { max_seq: 6, unread: 2 })], [], 1, none);
    expect(merged.map((c) => [c.conversation_id, c.max_seq, c.unread])).toEqual([
      ['d:1:2', 7, 3],
      ['d:1:3', 4, 0],
    ]);
  });
});
