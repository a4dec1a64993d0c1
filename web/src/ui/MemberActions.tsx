import { useState } from 'preact/hooks';
import type { GroupMember } from '../api/types';
import { t } from '../i18n';
import type { MessageKey } from '../i18n/dict';
import { isMuted, MUTE_CHOICES, powersOver, type MuteChoice, type Role } from '../logic/roles';
import { kick, mute, setAdmin, unmute } from '../state/groupAdmin';
import { ConfirmButton } from './ConfirmButton';
import { useAction } from './useAction';

/** Labels of MUTE_CHOICES, in its order. */
const MUTE_LABELS: readonly MessageKey[] = ['mute_600', 'mute_3600', 'mute_86400', 'mute_forever'];

type Props = { groupId: number; member: GroupMember; myRole: Role; self: boolean; name: string };

/** Kick, mute and admin buttons for one member: only those my role allows over theirs. */
export function MemberActions({ groupId, member, myRole, self, name }: Props) {
  const [busy, run] = useAction();
  const [length, setLength] = useState<MuteChoice>(3_600);
  const role = member.role ?? 'member';
  const powers = powersOver(myRole, role, self);
  const userId = member.user?.user_id ?? 0;
  const promote = powers.promote && role !== 'owner';
  if (!powers.moderate && !promote) return null;
  return (
    <span class="actions member-actions" role="group" aria-label={t('memberActions', { name })}>
      {promote && (
        <button type="button" class="small" disabled={busy} data-testid={role === 'admin' ? 'member-unadmin' : 'member-admin'} onClick={() => run(() => setAdmin(groupId, userId, role !== 'admin'))}>
          {t(role === 'admin' ? 'unmakeAdmin' : 'makeAdmin')}
        </button>
      )}
      {powers.moderate &&
        (isMuted(member, Date.now()) ? (
          <button type="button" class="small" disabled={busy} data-testid="member-unmute" onClick={() => run(() => unmute(groupId, userId))}>
            {t('unmute')}
          </button>
        ) : (
          <span class="mute">
            <select
              aria-label={t('muteFor', { name })}
              class="small"
              data-testid="member-mute-length"
              value={String(length)}
              onChange={(e) => setLength(Number(e.currentTarget.value) as MuteChoice)}
            >
              {MUTE_CHOICES.map((s, i) => (
                <option key={s} value={String(s)}>
                  {t(MUTE_LABELS[i]!)}
                </option>
              ))}
            </select>
            <button type="button" class="small" disabled={busy} data-testid="member-mute" onClick={() => run(() => mute(groupId, userId, length))}>
              {t('mute')}
            </button>
          </span>
        ))}
      {powers.moderate && <ConfirmButton label={t('kick')} question={t('confirmKick', { name })} testid="member-kick" onConfirm={() => kick(groupId, userId)} />}
    </span>
  );
}
