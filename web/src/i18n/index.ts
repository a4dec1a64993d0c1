// The current language (from navigator.language, switchable, remembered) and `t()`.
import { signal } from '@preact/signals';
import { dictionaries, type Lang, type MessageKey } from './dict';

const STORAGE_KEY = 'chat.lang';

export function pickLang(preferred: string | undefined): Lang {
  return preferred?.toLowerCase().startsWith('zh') ? 'zh' : 'en';
}

function initialLang(): Lang {
  const saved = typeof localStorage === 'undefined' ? null : localStorage.getItem(STORAGE_KEY);
  if (saved === 'en' || saved === 'zh') return saved;
  return pickLang(typeof navigator === 'undefined' ? undefined : navigator.language);
}

export const lang = signal<Lang>(initialLang());

/** Keeps <html lang> right, for screen readers and for CJK font selection. */
function markDocument(l: Lang): void {
  if (typeof document !== 'undefined') document.documentElement.lang = l === 'zh' ? 'zh-CN' : 'en';
}
markDocument(lang.value);

export function setLang(next: Lang): void {
  lang.value = next;
  localStorage.setItem(STORAGE_KEY, next);
  markDocument(next);
}

/** Looks a string up and fills `{name}` placeholders. */
export function format(template: string, params: Record<string, string | number> = {}): string {
  return template.replace(/\{(\w+)\}/g, (whole, key: string) => (key in params ? String(params[key]) : whole));
}

export function t(key: MessageKey, params?: Record<string, string | number>): string {
  return format(dictionaries[lang.value][key], params);
}
