// What my role in a group lets me do to another member. The server decides (and refuses with a
// message); the UI only offers what would be allowed, so nobody is shown a button that must fail.
import type { GroupMember } from '../api/types';

export type Role = NonNullable<GroupMember['role']> | 'none';

const RANK: Record<Role, number> = { none: -1, member: 0, admin: 1, owner: 2 };

export type MemberPowers = {
  /** Kick and mute: only someone who ranks below me (admins act on members, the owner on anyone). */
  moderate: boolean;
  /** Make or unmake an admin, and hand the group over: the owner only. */
  promote: boolean;
  transfer: boolean;
};

export function powersOver(me: Role, them: Role, self: boolean): MemberPowers {
  if (self) return { moderate: false, promote: false, transfer: false };
  const owner = me === 'owner';
  return { moderate: RANK[me] >= RANK.admin && RANK[me] > RANK[them], promote: owner, transfer: owner };
}

/** Join requests are seen and answered by the owner and admins. */
export const canManage = (me: Role): boolean => RANK[me] >= RANK.admin;

export const isMuted = (m: Pick<GroupMember, 'muted_until_ms'>, now: number): boolean => (m.muted_until_ms ?? 0) > now;

/**
 * The lengths a member can be muted for (the API takes any number of seconds, 0 meaning unmute).
 * "Until unmuted" is a mute of a century: the API has no open-ended mute, and nobody waits it out.
 */
export const MUTE_FOREVER_S = 100 * 365 * 86_400;
export const MUTE_CHOICES = [600, 3_600, 86_400, MUTE_FOREVER_S] as const;
export type MuteChoice = (typeof MUTE_CHOICES)[number];

/** How a member's mute reads: not muted, until a time, or until someone unmutes them (ends beyond 50 years). */
export function muteState(m: Pick<GroupMember, 'muted_until_ms'>, now: number): { until: number } | 'forever' | null {
  const until = m.muted_until_ms ?? 0;
  if (until <= now) return null;
  return until - now > 50 * 365 * 86_400_000 ? 'forever' : { until };
}
