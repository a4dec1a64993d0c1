import { useState } from 'preact/hooks';
import { ApiFailure } from '../api/client';
import { t } from '../i18n';
import { login, register, signedOutReason } from '../state/session';
import { LangSwitch } from './LangSwitch';

/** Sign in, or create an account and then sign in with it. */
export function AuthScreen() {
  const [mode, setMode] = useState<'login' | 'register'>('login');
  const [username, setUsername] = useState('');
  const [password, setPassword] = useState('');
  const [nickname, setNickname] = useState('');
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);

  async function submit(e: Event) {
    e.preventDefault();
    setBusy(true);
    setError(null);
    try {
      if (mode === 'register') await register(username, password, nickname);
      await login(username, password);
    } catch (err) {
      setError(err instanceof ApiFailure ? err.message || err.code : String(err));
    } finally {
      setBusy(false);
    }
  }

  const registering = mode === 'register';
  return (
    <main class="auth">
      <form class="card auth-card" onSubmit={submit} data-testid="auth-form">
        <div class="auth-head">
          <h1>
            <span class="logo" aria-hidden="true" /> {t('appName')}
          </h1>
          <LangSwitch />
        </div>
        <h2>{registering ? t('signUp') : t('signIn')}</h2>
        {signedOutReason.value && !error && <p class="info" role="status" data-testid="signed-out-reason">
            {signedOutReason.value}
          </p>}
        <label>
          {t('username')}
          <input
            data-testid="auth-username"
            autocomplete="username"
            required
            minLength={registering ? 3 : 1}
            maxLength={32}
            value={username}
            onInput={(e) => setUsername(e.currentTarget.value)}
          />
          {registering && <small>{t('usernameHint')}</small>}
        </label>
        {registering && (
          <label>
            {t('nickname')}
            <input data-testid="auth-nickname" maxLength={64} value={nickname} onInput={(e) => setNickname(e.currentTarget.value)} />
          </label>
        )}
        <label>
          {t('password')}
          <input
            data-testid="auth-password"
            type="password"
            autocomplete={registering ? 'new-password' : 'current-password'}
            required
            minLength={registering ? 8 : 1}
            value={password}
            onInput={(e) => setPassword(e.currentTarget.value)}
          />
          {registering && <small>{t('passwordHint')}</small>}
        </label>
        {error && (
          <p class="error" role="alert" data-testid="auth-error">
            {error}
          </p>
        )}
        <button class="primary" type="submit" disabled={busy} data-testid="auth-submit">
          {registering ? t('signUp') : t('signIn')}
        </button>
        <button type="button" class="link" data-testid="auth-toggle" onClick={() => setMode(registering ? 'login' : 'register')}>
          {registering ? t('haveAccount') : t('noAccount')}
        </button>
      </form>
    </main>
  );
}
