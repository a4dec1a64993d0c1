import type { Content } from '../api/types';
import { t } from '../i18n';
import { fitBox } from '../logic/media';
import { reloadUrls, signedUrls } from '../state/fileUrls';
import { openPicture } from './ImageViewer';
import { MediaGone } from './MediaGone';

type Image = Extract<Content, { type: 'image' }>;

/** The thumbnail, in a box of the picture's own proportions reserved before it loads (so the
 * virtualised list does not jump); a button that opens the full picture. */
export function ImageMessage({ content }: { content: Image }) {
  const box = fitBox(content.width, content.height);
  const fileId = content.file_id;
  if (!fileId) return <p class="text">{t('previewPicture')}</p>;
  const { urls, gone } = signedUrls(fileId);
  if (gone) return <MediaGone />;
  return (
    <button type="button" class="picture" aria-label={t('pictureFrom')} data-testid="message-image" onClick={(e) => openPicture(fileId, e.currentTarget)}>
      <img
        src={urls ? (urls.thumbnail_url ?? urls.url) : undefined}
        width={box.width}
        height={box.height}
        alt={t('picture')}
        onError={() => reloadUrls(fileId)}
      />
    </button>
  );
}
