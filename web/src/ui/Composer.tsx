import { useState } from 'preact/hooks';
import { t } from '../i18n';
import * as chat from '../state/chat';
import { composing } from '../state/typing';

/** Puts the focus in the open chat's composer (after it renders, when it is about to come back). */
export function focusComposer(): void {
  requestAnimationFrame(() => document.getElementById('composer-input')?.focus());
}

/** Enter sends, Shift+Enter adds a line; IME composition (Chinese input) never sends. */
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
    <form
      class="composer"
      onSubmit={(e) => {
        e.preventDefault();
        send();
      }}
    >
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
      />
      <button type="submit" class="primary" data-testid="composer-send" disabled={!text.trim()}>
        {t('send')}
      </button>
    </form>
  );
}
