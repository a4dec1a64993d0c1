import type { Content } from '../api/types';
import { contentText } from './format';
import { FileMessage } from './FileMessage';
import { ImageMessage } from './ImageMessage';
import { VoiceMessage } from './VoiceMessage';

/** A message's body: text, a picture, a file card or a voice note. */
export function MessageContent({ content }: { content: Content }) {
  switch (content.type) {
    case 'image':
      return <ImageMessage content={content} />;
    case 'file':
      return <FileMessage content={content} />;
    case 'voice':
      return <VoiceMessage content={content} />;
    default:
      return (
        <p class="text" data-testid="message-text">
          {contentText(content)}
        </p>
      );
  }
}
