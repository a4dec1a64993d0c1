import { signal } from '@preact/signals';
import { useEffect, useRef } from 'preact/hooks';
import { t } from '../i18n';
import { signedUrls } from '../state/fileUrls';

/** The picture open at full size, and the control to give the focus back to when it closes. */
const open = signal<{ fileId: number; opener: HTMLElement | null } | null>(null);

export function openPicture(fileId: number, opener: HTMLElement | null): void {
  open.value = { fileId, opener };
}

function close(): void {
  const opener = open.value?.opener;
  open.value = null;
  opener?.focus();
}

/** A simple overlay: the full picture, Close (focused on open), Escape or a click outside closes. */
export function ImageViewer() {
  const shown = open.value;
  const closeRef = useRef<HTMLButtonElement>(null);
  useEffect(() => {
    if (shown) closeRef.current?.focus();
  }, [shown]);
  if (!shown) return null;
  const { urls } = signedUrls(shown.fileId);
  return (
    <div
      class="viewer"
      role="dialog"
      aria-modal="true"
      aria-label={t('fullPicture')}
      data-testid="image-viewer"
      onClick={(e) => {
        if (e.target === e.currentTarget) close();
      }}
      onKeyDown={(e) => {
        if (e.key === 'Escape') {
          e.stopPropagation();
          close();
        }
        // Keep Tab inside: Close is the only control.
        if (e.key === 'Tab') {
          e.preventDefault();
          closeRef.current?.focus();
        }
      }}
    >
      {urls && <img src={urls.url} alt={t('fullPicture')} data-testid="image-full" />}
      <button type="button" ref={closeRef} class="viewer-close" data-testid="image-viewer-close" onClick={close}>
        {t('closePicture')}
      </button>
    </div>
  );
}
