import { t } from '../i18n';
import { deleteSelected, selection, stopSelecting } from '../state/messageActions';
import { focusComposer } from './Composer';
import { ConfirmButton } from './ConfirmButton';

/** In place of the composer while choosing messages: how many, delete them for me, or stop. */
export function SelectionBar() {
  const n = selection.value?.seqs.size ?? 0;
  return (
    <div class="selection-bar" role="toolbar" aria-label={t('selectedCount', { n })} data-testid="selection-bar">
      <span data-testid="selection-count" aria-live="polite">
        {t('selectedCount', { n })}
      </span>
      <span class="actions">
        <ConfirmButton label={t('deleteSelected')} question={t('confirmDeleteSelected', { n })} testid="delete-selected" disabled={n === 0} onConfirm={() => deleteSelected().then(focusComposer)} />
        <button type="button" class="small" data-testid="select-cancel" onClick={() => (stopSelecting(), focusComposer())}>
          {t('no')}
        </button>
      </span>
    </div>
  );
}
