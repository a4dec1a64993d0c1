import type { Content } from '../api/types';
import { t } from '../i18n';
import { formatBytes } from '../logic/media';
import { signedUrls } from '../state/fileUrls';
import { MediaGone } from './MediaGone';
import { FileIcon } from './Icons';

type File = Extract<Content, { type: 'file' }>;

/** A card: the name, the size and a download link (a signed address; the server sends
 * Content-Disposition: attachment with the name). */
export function FileMessage({ content }: { content: File }) {
  const fileId = content.file_id;
  const { urls, gone } = fileId ? signedUrls(fileId) : { urls: undefined, gone: false };
  if (gone) return <MediaGone />;
  return (
    <div class="file-card" data-testid="message-file">
      <span class="file-icon">
        <FileIcon />
      </span>
      <span class="file-about">
        <span class="file-name" data-testid="file-name">
          {content.name || t('fileDownload')}
        </span>
        <span class="file-size" data-testid="file-size">
          {formatBytes(content.size_bytes ?? 0)}
        </span>
      </span>
      {urls && (
        <a class="file-download" href={urls.url} download={content.name || true} data-testid="file-download">
          {t('fileDownload')}
        </a>
      )}
    </div>
  );
}
