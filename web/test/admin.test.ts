import { describe, expect, it } from 'vitest';
import { hideMessages } from '../src/logic/hideMessages';
import { canManage, isMuted, MUTE_CHOICES, MUTE_FOREVER_S, muteState, powersOver } from '../src/logic/roles';
import { keyedThrottle } from '../src/logic/throttle';
import { applyNewestPage, emptyTimeline, gapAfter } from '../src/logic/timeline';
import { msg } from './fixtures';

describe('group roles', () => {
  it('lets admins moderate members only, and the owner anyone', () => {
    expect(powersOver('admin', 'member', false).moderate).toBe(true);
    expect(powersOver('admin', 'admin', false).moderate).toBe(false);
    expect(powersOver('admin', 'owner', false).moderate).toBe(false);
    expect(powersOver('owner', 'admin', false)).toEqual({ moderate: true, promote: true, transfer: true });
    expect(powersOver('member', 'member', false).moderate).toBe(false);
    expect(powersOver('owner', 'owner', true)).toEqual({ moderate: false, promote: false, transfer: false });
  });

  it('shows join requests to owners and admins, and mutes until their end', () => {
    expect([canManage('owner'), canManage('admin'), canManage('member'), canManage('none')]).toEqual([true, true, false, false]);
    expect(isMuted({ muted_until_ms: 2000 }, 1000)).toBe(true);
    expect(isMuted({ muted_until_ms: 0 }, 1000)).toBe(false);
  });
});

describe('delete for me', () => {
  it('drops the messages without opening a gap or moving the older-page cursor', () => {
    const t = applyNewestPage(emptyTimeline, { messages: [msg(1), msg(2), msg(3)], has_more: true, max_seq: 3 });
    const after = hideMessages(t, [1, 3]);
    expect(after.messages.map((m) => m.seq)).toEqual([2]);
    expect(after.contiguous).toBe(3);
    expect(after.oldest).toBe(1);
    expect(gapAfter(after)).toBeNull();
    expect(hideMessages(after, [7])).toBe(after);
  });
});

describe('typing throttle', () => {
  it('lets one call per key through every interval', () => {
    let now = 0;
    const th = keyedThrottle(3000, () => now);
    expect(th.due('a')).toBe(true);
    th.mark('a');
    now = 2999;
    expect(th.due('a')).toBe(false);
    expect(th.due('b')).toBe(true);
    now = 3000;
    expect(th.due('a')).toBe(true);
  });
});

describe('mute lengths', () => {
  it('offers 10 minutes, an hour, a day and until unmuted, all within the API’s u32 seconds', () => {
    expect(MUTE_CHOICES).toEqual([600, 3600, 86400, MUTE_FOREVER_S]);
    expect(MUTE_FOREVER_S).toBeLessThanOrEqual(4_294_967_295);
  });

  it('reads a mute as ended, until a time, or until unmuted', () => {
    const now = 1_800_000_000_000;
    expect(muteState({ muted_until_ms: 0 }, now)).toBeNull();
    expect(muteState({}, now)).toBeNull();
    expect(muteState({ muted_until_ms: now - 1 }, now)).toBeNull();
    expect(muteState({ muted_until_ms: now + 86_400_000 }, now)).toEqual({ until: now + 86_400_000 });
    expect(muteState({ muted_until_ms: now + MUTE_FOREVER_S * 1000 }, now)).toBe('forever');
  });
});
