import { useState } from 'preact/hooks';
import { t } from '../i18n';
import * as chat from '../state/chat';
import { composing } from '../state/typing';
import { AttachButton, attachFiles } from './AttachButton';
import { VoiceRecorder } from './VoiceRecorder';

/** Puts the focus in the open chat's composer (after it renders, when it is about to come back). */
export function focusComposer(): void {
  requestAnimationFrame(() => document.getElementById('composer-input')?.focus());
}

/** Enter sends, Shift+Enter adds a line; IME composition (Chinese input) never sends. Beside it:
 * attach (also a picture or file pasted or dropped), record a voice note; uploads show in the message list. */
export function Composer({ id }: { id: string }) {
  const [text, setText] = useState('');

  function send() {
    const body = text.trim();
    if (!body) return;
    chat.sendText(id, body);
    setText('');
  }

  function onKeyDown(e: KeyboardEvent) {
    if (e.key === 'Enter' && !e.shiftKey && !e.isComposing) {
      e.preventDefault();
      send();
    }
  }

  return (
    <>
      <form
        class="composer"
        onSubmit={(e) => {
          e.preventDefault();
          send();
        }}
        // A picture or file dropped on the composer, or pasted into it, is attached.
        onDragOver={(e) => {
          if (e.dataTransfer?.types.includes('Files')) e.preventDefault();
        }}
        onDrop={(e) => {
          const files = e.dataTransfer?.files;
          if (files && files.length > 0) {
            e.preventDefault();
            attachFiles(id, Array.from(files));
          }
        }}
      >
        <AttachButton id={id} />
        <label class="visually-hidden" for="composer-input">
          {t('message')}
        </label>
        <textarea
          id="composer-input"
          data-testid="composer-input"
          rows={1}
          maxLength={8000}
          placeholder={t('messagePlaceholder')}
          value={text}
          onInput={(e) => {
            setText(e.currentTarget.value);
            if (e.currentTarget.value.trim()) composing(id);
          }}
          onKeyDown={onKeyDown}
          onPaste={(e) => {
            const files = e.clipboardData?.files;
            if (files && files.length > 0) {
              e.preventDefault();
              attachFiles(id, Array.from(files));
            }
          }}
        />
        <VoiceRecorder id={id} />
        <button type="submit" class="primary" data-testid="composer-send" disabled={!text.trim()}>
          {t('send')}
        </button>
      </form>
    </>
  );
}
