import { useState } from 'preact/hooks';
import { t } from '../i18n';
import { join } from '../state/groups';
import { useAction } from './useAction';

export function JoinGroupForm() {
  const [id, setId] = useState('');
  const [password, setPassword] = useState('');
  const [outcome, setOutcome] = useState<string | null>(null);
  const [busy, run] = useAction();
  return (
    <form
      class="stack"
      onSubmit={(e) => {
        e.preventDefault();
        setOutcome(null);
        run(async () => setOutcome((await join(Number(id), password)) === 'joined' ? t('joined') : t('pendingApproval')));
      }}
    >
      <h3>{t('joinGroup')}</h3>
      <div class="search">
        <label class="grow">
          {t('groupId')}
          <input inputMode="numeric" pattern="[0-9]+" required data-testid="join-group-id" value={id} onInput={(e) => setId(e.currentTarget.value)} />
        </label>
        <label class="grow">
          {t('groupPassword')}
          <input type="password" data-testid="join-group-password" value={password} onInput={(e) => setPassword(e.currentTarget.value)} />
        </label>
      </div>
      {outcome && (
        <p class="info" role="status">
          {outcome}
        </p>
      )}
      <button type="submit" disabled={busy || !id} data-testid="join-group-submit">
        {t('join')}
      </button>
    </form>
  );
}
