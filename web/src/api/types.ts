// Short names for the shapes in the generated schema (src/api/schema.d.ts, `npm run gen:api`),
// so that the rest of the client never restates a server type by hand.
import type { components, paths } from './schema';

type Schemas = components['schemas'];

export type User = Schemas['User'];
export type Relation = Schemas['Relation'];
export type FriendRequest = Schemas['FriendRequest'];
export type Friend = Schemas['Friend'];
export type Group = Schemas['Group'];
export type GroupMember = Schemas['GroupMember'];
export type JoinRequest = Schemas['JoinRequest'];
export type Notification = Schemas['Notification'];
export type ConversationKind = Schemas['ConversationKind'];
export type Content = Schemas['Content'];
export type ChatMessage = Schemas['ChatMessage'];
export type Conversation = Schemas['Conversation'];
export type UnreadConversation = Schemas['UnreadConversation'];
export type ApiError = Schemas['Error'];
/** POST /files: what the server stored. */
export type FileInfo = Schemas['FileInfo'];
/** POST /files/{id}/url: addresses that <img> and <audio> can use (no token in them). */
export type SignedFileUrls = Schemas['SignedFileUrls'];
/** The `kind` of an upload: image, voice or file. */
export type FileKind = NonNullable<paths['/files']['post']['parameters']['query']>['kind'];

type JsonBody<Op> = Op extends { requestBody: { content: { 'application/json': infer B } } } ? B : never;
/** PATCH /me: the fields of my profile to change (absent ones stay). */
export type ProfilePatch = JsonBody<paths['/me']['patch']>;
/** PATCH /groups/{id}: the fields of a group to change (absent ones stay). */
export type GroupPatch = JsonBody<paths['/groups/{id}']['patch']>;
