// WebSocket frames, written from docs/protocol.md (the server's source of truth is
// crates/wire/src/frames.rs). Payload shapes shared with REST come from the OpenAPI types.
import type { ChatMessage, Content, ConversationKind, Notification } from '../api/types';

/** Subprotocol the server answers; the token travels as a second offer, never in the URL. */
export const PROTOCOL = 'chat.v1';
export const tokenProtocol = (token: string): string => `token.${token}`;

/** Close codes with a meaning for the client (docs/protocol.md, "Close codes"). */
export const CLOSE_KICKED = 4002;

// Client to server.
export type SendFrame = {
  type: 'send';
  client_msg_id: string;
  kind: ConversationKind;
  target_id: number;
  content: Content;
};
export type ReadFrame = { type: 'read'; conversation_id: string; seq: number };
export type TypingFrame = { type: 'typing'; conversation_id: string };
export type PingFrame = { type: 'ping' };
export type ClientFrame = SendFrame | ReadFrame | TypingFrame | PingFrame;

// Server to client.
export type HelloFrame = {
  type: 'hello';
  user_id: number;
  session_id: string;
  gateway: string;
  heartbeat_s: number;
  idle_timeout_s: number;
};
export type AckFrame = {
  type: 'ack';
  client_msg_id: string;
  message_id: number;
  conversation_id: string;
  seq: number;
  server_time_ms: number;
  duplicate: boolean;
};
export type ReadAckFrame = { type: 'read_ack'; conversation_id: string; read_seq: number; unread: number };
export type ErrorFrame = { type: 'error'; code: string; message: string; client_msg_id?: string; retry_after_s?: number };
export type MessageFrame = { type: 'message'; message: ChatMessage };
export type RecallFrame = {
  type: 'recall';
  conversation_id: string;
  seq: number;
  recall_seq: number;
  sender_id: number;
  recalled_at_ms: number;
};
export type ReadReceiptFrame = { type: 'read_receipt'; conversation_id: string; reader_id: number; read_seq: number };
export type NotificationFrame = { type: 'notification'; notification: Notification };
export type PresenceFrame = { type: 'presence'; user_id: number; online: boolean; last_seen_ms: number };
export type TypingEventFrame = { type: 'typing'; conversation_id: string; user_id: number };
export type MovedFrame = { type: 'moved'; reason: string };
export type KickedFrame = { type: 'kicked'; reason: string };
export type PongFrame = { type: 'pong' };

export type ServerFrame =
  | HelloFrame
  | AckFrame
  | ReadAckFrame
  | ErrorFrame
  | MessageFrame
  | RecallFrame
  | ReadReceiptFrame
  | NotificationFrame
  | PresenceFrame
  | TypingEventFrame
  | MovedFrame
  | KickedFrame
  | PongFrame;

/** Parses a text frame; anything that is not an object with a string `type` is dropped. */
export function parseFrame(text: string): ServerFrame | null {
  try {
    const value: unknown = JSON.parse(text);
    if (typeof value === 'object' && value !== null && typeof (value as { type?: unknown }).type === 'string') {
      return value as ServerFrame;
    }
  } catch {
    // Malformed JSON from the server is a bug there; the session goes on.
  }
  return null;
}
