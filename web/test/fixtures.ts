import type { ChatMessage } from '../src/api/types';

/** A text message in d:1:2 with the given seq (sender 2 unless said otherwise). */
export function msg(seq: number, over: Partial<ChatMessage> = {}): ChatMessage {
  return {
    message_id: 1000 + seq,
    conversation_id: 'd:1:2',
    kind: 'direct',
    seq,
    sender_id: 2,
    client_msg_id: `c-${seq}`,
    content: { type: 'text', text: `m${seq}` },
    server_time_ms: 1_000_000 + seq,
    target_id: 1,
    ...over,
  };
}
