// Display helpers shared by the lists and the chat view.
import type { Content } from '../api/types';
import { lang, t } from '../i18n';
import { formatDuration } from '../logic/media';

function locale(): string {
  return lang.value === 'zh' ? 'zh-CN' : 'en';
}

/** "14:05" today, "Mon 14:05" this week, a date otherwise. */
export function shortTime(ms: number, now = Date.now()): string {
  if (!ms) return '';
  const d = new Date(ms);
  const sameDay = new Date(now).toDateString() === d.toDateString();
  if (sameDay) return d.toLocaleTimeString(locale(), { hour: '2-digit', minute: '2-digit' });
  if (now - ms < 6 * 86_400_000) return d.toLocaleString(locale(), { weekday: 'short', hour: '2-digit', minute: '2-digit' });
  return d.toLocaleDateString(locale());
}

/** One line of text for a message body (the list preview, or a bubble's text). */
export function contentText(c: Content): string {
  switch (c.type) {
    case 'text':
      return c.text;
    case 'recalled':
      return t('recalled');
    case 'image':
      return t('previewPicture');
    case 'file':
      return t('previewFile', { name: c.name ?? '' });
    case 'voice':
      return t('previewVoice', { duration: formatDuration(c.duration_ms ?? 0) });
    default:
      return t('unsupported', { type: c.type });
  }
}

export function initials(name: string): string {
  return (name.trim()[0] ?? '?').toUpperCase();
}
