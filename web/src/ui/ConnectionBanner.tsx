import { t } from '../i18n';
import { connection } from '../state/app';

/** Shown while the WebSocket is not live: messages then wait in the outbox. */
export function ConnectionBanner() {
  const state = connection.value;
  if (state === 'online' || state === 'stopped') return null;
  return (
    <p class="banner" role="status" aria-live="polite" data-testid="connection-banner">
      {state === 'connecting' ? t('connecting') : t('reconnecting')}
    </p>
  );
}
