// Avatars: the pure parts (which file a profile's picture is, what a picker accepts, a refusal
// in words). The picture itself is the file's thumbnail at a signed address (state/fileUrls.ts).
import { IMAGE_TYPES, uploadKindOf, uploadProblem, type UploadProblem } from './media';

/** The file input's `accept`: the picture types the server decodes (PUT .../avatar takes kind=image only). */
export const AVATAR_ACCEPT = IMAGE_TYPES.join(',');

/** Whether a chosen file can be an avatar, before it goes up (the server decodes it again). */
export function isAvatarType(mime: string): boolean {
  return uploadKindOf(mime) === 'image';
}

/** The uploaded file that is a user's or group's picture; 0 for none (or an external address
 * from older data, which the page's `img-src 'self'` would refuse anyway). */
export function avatarFileOf(owner: { avatar_file_id?: number } | undefined): number {
  const id = owner?.avatar_file_id ?? 0;
  return Number.isSafeInteger(id) && id > 0 ? id : 0;
}

export type AvatarProblem = 'avatarNotPicture' | 'avatarGone' | 'avatarForbidden' | Exclude<UploadProblem, 'uploadWrongType'>;

/** A refused picture change in plain words (the dictionary key): the upload's refusals
 * (POST /files?kind=image) and the avatar's own (PUT .../avatar). */
export function avatarProblem(status: number, code: string): AvatarProblem {
  if (code === 'unknown_file') return 'avatarGone';
  if (code === 'wrong_file_kind') return 'avatarNotPicture';
  if (status === 403) return 'avatarForbidden';
  const upload = uploadProblem(status, code);
  return upload === 'uploadWrongType' ? 'avatarNotPicture' : upload;
}
