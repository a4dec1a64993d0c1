import { t } from '../i18n';
import { formatBytes } from '../logic/media';
import { cancelUpload, retryUpload, uploads } from '../state/uploads';

/** My pictures, files and voice notes of this conversation still going up: a progress bar each,
 * or the reason it was refused with Retry and Cancel. Sent ones move to the message list. */
export function PendingUploads({ id }: { id: string }) {
  const mine = uploads.value.filter((u) => u.conversation_id === id);
  if (mine.length === 0) return null;
  return (
    <ul class="uploads" aria-label={t('sending')}>
      {mine.map((u) => (
        <li key={u.key} class={`upload msg mine${u.state === 'failed' ? ' failed' : ''}`} data-testid="upload" data-state={u.state}>
          <div class="bubble">
            <span class="file-name">{u.name}</span>
            <span class="file-size">{formatBytes(u.size)}</span>
            {u.state === 'uploading' ? (
              <progress max={u.size || 1} value={u.sent} aria-label={t('uploading', { name: u.name })} data-testid="upload-progress" />
            ) : (
              <p class="upload-problem" role="alert" data-testid="upload-problem">
                {t(u.problem ?? 'uploadFailed')}
              </p>
            )}
            <span class="meta">
              {u.state === 'failed' && (
                <button type="button" class="link" data-testid="upload-retry" onClick={() => retryUpload(u.key)}>
                  {t('retry')}
                </button>
              )}
              <button type="button" class="link" data-testid="upload-cancel" onClick={() => cancelUpload(u.key)}>
                {t('cancelUpload')}
              </button>
            </span>
          </div>
        </li>
      ))}
    </ul>
  );
}
