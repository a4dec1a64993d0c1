import type { GroupMember } from '../api/types';
import { t } from '../i18n';
import { isMuted, powersOver, type Role } from '../logic/roles';
import { kick, mute, setAdmin, unmute } from '../state/groupAdmin';
import { ConfirmButton } from './ConfirmButton';
import { useAction } from './useAction';

type Props = { groupId: number; member: GroupMember; myRole: Role; self: boolean; name: string };

/** Kick, mute and admin buttons for one member: only those my role allows over theirs. */
export function MemberActions({ groupId, member, myRole, self, name }: Props) {
  const [busy, run] = useAction();
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
          <button type="button" class="small" disabled={busy} data-testid="member-mute" onClick={() => run(() => mute(groupId, userId))}>
            {t('mute')}
          </button>
        ))}
      {powers.moderate && <ConfirmButton label={t('kick')} question={t('confirmKick', { name })} testid="member-kick" onConfirm={() => kick(groupId, userId)} />}
    </span>
  );
}
