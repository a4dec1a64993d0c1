import type { Content } from '../api/types';
import { t } from '../i18n';
import { formatDuration } from '../logic/media';
import { reloadUrls, signedUrls } from '../state/fileUrls';
import { MediaGone } from './MediaGone';

type Voice = Extract<Content, { type: 'voice' }>;

/** A voice note: the browser's own player (keyboard accessible) and the sender's duration. */
export function VoiceMessage({ content }: { content: Voice }) {
  const fileId = content.file_id;
  if (!fileId) return <p class="text">{t('voiceNote')}</p>;
  const { urls, gone } = signedUrls(fileId);
  if (gone) return <MediaGone />;
  return (
    <div class="voice" data-testid="message-voice">
      <audio controls preload="metadata" src={urls?.url} aria-label={t('voiceNote')} data-testid="voice-audio" onError={() => reloadUrls(fileId)} />
      <span class="voice-duration" data-testid="voice-duration">
        {formatDuration(content.duration_ms ?? 0)}
      </span>
    </div>
  );
}
