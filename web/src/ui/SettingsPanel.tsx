import { useState } from 'preact/hooks';
import { t } from '../i18n';
import { changePassword, logout, session } from '../state/session';
import { LangSwitch } from './LangSwitch';
import { ProfileForm } from './ProfileForm';
import { useAction } from './useAction';

function PasswordForm() {
  const [oldPassword, setOld] = useState('');
  const [newPassword, setNew] = useState('');
  const [done, setDone] = useState(false);
  const [busy, run] = useAction();
  return (
    <form
      class="stack"
      onSubmit={(e) => {
        e.preventDefault();
        setDone(false);
        run(async () => {
          await changePassword(oldPassword, newPassword);
          setOld('');
          setNew('');
          setDone(true);
        });
      }}
    >
      <h3>{t('changePassword')}</h3>
      <label>
        {t('oldPassword')}
        <input type="password" autocomplete="current-password" required data-testid="old-password" value={oldPassword} onInput={(e) => setOld(e.currentTarget.value)} />
      </label>
      <label>
        {t('newPassword')}
        <input
          type="password"
          autocomplete="new-password"
          required
          minLength={8}
          data-testid="new-password"
          value={newPassword}
          onInput={(e) => setNew(e.currentTarget.value)}
        />
      </label>
      {done && (
        <p class="info" role="status" data-testid="password-changed">
          {t('passwordChanged')}
        </p>
      )}
      <button type="submit" class="primary" disabled={busy} data-testid="change-password-submit">
        {t('changePassword')}
      </button>
    </form>
  );
}

export function SettingsPanel() {
  const [busy, run] = useAction();
  const user = session.value?.user;
  return (
    <div class="panel" data-testid="settings-panel">
      <p class="muted">{t('signedInAs', { name: user ? `${user.nickname || user.username} (@${user.username})` : '' })}</p>
      <ProfileForm />
      <div class="stack">
        <h3>{t('language')}</h3>
        <LangSwitch />
      </div>
      <PasswordForm />
      <button type="button" class="danger" disabled={busy} data-testid="sign-out" onClick={() => run(logout)}>
        {t('signOut')}
      </button>
    </div>
  );
}
