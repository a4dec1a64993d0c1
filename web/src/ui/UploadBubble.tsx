import { t } from '../i18n';
import { formatBytes } from '../logic/media';
import { cancelUpload, retryUpload, type PendingUpload } from '../state/uploads';

/** A picture, file or voice note of mine still going up, as my pending message in the list:
 * its name, size and a progress bar, or the reason it was refused with Retry and Cancel. Once
 * stored, its send takes its place (a row of the outbox, then the stored message). */
export function UploadBubble({ upload: u }: { upload: PendingUpload }) {
  return (
    <div class={`msg mine upload${u.state === 'failed' ? ' failed' : ''}`} data-testid="upload" data-state={u.state}>
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
    </div>
  );
}
