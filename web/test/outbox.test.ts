import { describe, expect, it } from 'vitest';
import { addPending, failPending, newClientMsgId, parseOutbox, removePending, retryPending, sendErrorAction, storedStatus, toResend, type Pending } from '../src/logic/outbox';

const p = (id: string, created: number): Pending => ({
  client_msg_id: id,
  conversation_id: 'd:1:2',
  kind: 'direct',
  target_id: 2,
  content: { type: 'text', text: id },
  created_ms: created,
  state: 'sending',
});

describe('outbox', () => {
  it('resends unacked sends oldest first with the same ids', () => {
    let box = addPending([], p('b', 2));
    box = addPending(box, p('a', 1));
    box = addPending(box, p('a', 1));
    expect(toResend(box).map((x) => x.client_msg_id)).toEqual(['a', 'b']);
  });

  it('drops acked sends and keeps failed ones out of the resend until retried', () => {
    let box = addPending(addPending([], p('a', 1)), p('b', 2));
    box = removePending(box, 'a');
    box = failPending(box, 'b', 'forbidden');
    expect(toResend(box)).toEqual([]);
    box = retryPending(box, 'b');
    expect(toResend(box).map((x) => x.client_msg_id)).toEqual(['b']);
  });

  it('makes ids within the 64-character limit', () => {
    expect(newClientMsgId().length).toBeLessThanOrEqual(64);
  });

  it('shows read once the peer cursor reaches the seq', () => {
    expect(storedStatus(5, 4)).toBe('sent');
    expect(storedStatus(5, 5)).toBe('read');
  });
});

describe('the outbox across a reload', () => {
  it('reads back what was saved, in order', () => {
    const saved = [p('w-1', 1), { ...p('w-2', 2), state: 'failed', error: 'muted' }];
    expect(parseOutbox(JSON.stringify(saved))).toEqual(saved);
  });

  it('drops anything malformed instead of trusting it', () => {
    expect(parseOutbox(null)).toEqual([]);
    expect(parseOutbox('not json')).toEqual([]);
    expect(parseOutbox('{"client_msg_id":"w-1"}')).toEqual([]);
    const good = p('w-3', 3);
    const bad = [{ ...good, kind: 'broadcast' }, { ...good, target_id: '2' }, { ...good, content: null }, { ...good, state: 'sent' }, null, 7];
    expect(parseOutbox(JSON.stringify([...bad, good]))).toEqual([good]);
  });
});

describe('a refused send', () => {
  it('goes again with a growing wait when the outcome is unknown', () => {
    expect(sendErrorAction('unavailable')).toEqual({ do: 'retry', afterMs: 250 });
    expect(sendErrorAction('unavailable', undefined, 1)).toEqual({ do: 'retry', afterMs: 500 });
    expect(sendErrorAction('unavailable', undefined, 4)).toEqual({ do: 'retry', afterMs: 4000 });
    expect(sendErrorAction('unavailable', undefined, 5)).toEqual({ do: 'retry', afterMs: 5000 });
    expect(sendErrorAction('unavailable', undefined, 60)).toEqual({ do: 'retry', afterMs: 5000 });
  });
  it('goes again when the rate limit allows, never sooner than a second', () => {
    expect(sendErrorAction('rate_limited', 3)).toEqual({ do: 'retry', afterMs: 3000 });
    expect(sendErrorAction('rate_limited', 0.2)).toEqual({ do: 'retry', afterMs: 1000 });
    expect(sendErrorAction('rate_limited')).toEqual({ do: 'retry', afterMs: 1000 });
  });
  it('fails for good otherwise', () => {
    expect(sendErrorAction('not_friends')).toEqual({ do: 'fail' });
  });
});
