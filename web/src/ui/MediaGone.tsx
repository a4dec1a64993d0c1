import { t } from '../i18n';

/** A picture, file or voice note that may no longer be read (recalled, or not mine to see). */
export function MediaGone() {
  return <p class="text muted">{t('mediaGone')}</p>;
}
