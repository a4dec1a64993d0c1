import { useState } from 'preact/hooks';
import type { Group, GroupMember } from '../api/types';
import { t } from '../i18n';
import { dissolve, transfer } from '../state/groupAdmin';
import { ConfirmButton } from './ConfirmButton';

/** The owner's own actions on a group: hand it to another member, or dissolve it. */
export function OwnerActions({ group, others }: { group: Group; others: readonly GroupMember[] }) {
  const id = group.group_id ?? 0;
  const [to, setTo] = useState('');
  const heir = others.find((m) => String(m.user?.user_id) === to);
  const heirName = heir ? heir.user?.nickname || heir.user?.username || to : '';
  return (
    <div class="owner-actions stack" data-testid="owner-actions">
      {others.length > 0 && (
        <div class="search">
          <label class="visually-hidden" for={`transfer-${id}`}>
            {t('transferTo')}
          </label>
          <select id={`transfer-${id}`} data-testid="group-transfer-pick" value={to} onChange={(e) => setTo(e.currentTarget.value)}>
            <option value="">{t('transferTo')}</option>
            {others.map((m) => (
              <option key={m.user?.user_id} value={String(m.user?.user_id)}>
                {m.user?.nickname || m.user?.username}
              </option>
            ))}
          </select>
          <ConfirmButton
            label={t('transfer')}
            question={t('confirmTransfer', { name: heirName })}
            testid="group-transfer"
            disabled={!heir}
            onConfirm={() => transfer(id, Number(to))}
          />
        </div>
      )}
      <ConfirmButton label={t('dissolve')} question={t('confirmDissolve', { group: group.name ?? `#${id}` })} testid="group-dissolve" onConfirm={() => dissolve(id)} />
    </div>
  );
}
