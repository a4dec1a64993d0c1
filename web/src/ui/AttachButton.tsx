import { useRef } from 'preact/hooks';
import { t } from '../i18n';
import { uploadKindOf } from '../logic/media';
import { attach } from '../state/uploads';
import { PaperclipIcon } from './Icons';

/** Pictures go as kind=image (the server decodes them), everything else as kind=file. */
export function attachFiles(conversationId: string, files: Iterable<File>): void {
  for (const f of files) attach(conversationId, f, f.name, uploadKindOf(f.type));
}

/** The paper clip: a real button that opens the browser's file picker (several files at once). */
export function AttachButton({ id }: { id: string }) {
  const input = useRef<HTMLInputElement>(null);
  return (
    <>
      <input
        ref={input}
        type="file"
        multiple
        hidden
        data-testid="attach-input"
        onChange={(e) => {
          const files = e.currentTarget.files;
          if (files) attachFiles(id, Array.from(files));
          e.currentTarget.value = '';
        }}
      />
      <button type="button" class="icon attach" aria-label={t('attach')} title={t('attach')} data-testid="attach-button" onClick={() => input.current?.click()}>
        <PaperclipIcon />
      </button>
    </>
  );
}
