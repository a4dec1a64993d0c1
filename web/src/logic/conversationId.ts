// Conversation ids as the server spells them (docs/api.md): d:{low}:{high} or g:{group}.

export function directConversationId(a: number, b: number): string {
  return a < b ? `d:${a}:${b}` : `d:${b}:${a}`;
}

export function groupConversationId(groupId: number): string {
  return `g:${groupId}`;
}

/** The other user of a 1:1 conversation, or null for a group id or one that is not mine. */
export function peerOf(conversationId: string, me: number): number | null {
  const m = /^d:(\d+):(\d+)$/.exec(conversationId);
  if (!m) return null;
  const low = Number(m[1]);
  const high = Number(m[2]);
  if (low === me) return high;
  if (high === me) return low;
  return null;
}
