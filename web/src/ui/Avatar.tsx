import { useState } from 'preact/hooks';
import { reloadUrls, signedUrls } from '../state/fileUrls';
import { groupAvatar } from '../state/groups';
import { userAvatar } from '../state/users';
import { initials } from './format';

type Props = {
  /** A user's id, or a group's with `group`. */
  id: number;
  name: string;
  group?: boolean;
  online?: boolean;
  size?: 'small' | 'large';
};

/**
 * A user's or group's picture: the thumbnail of its avatar file at a signed address, over the
 * coloured letter that shows while it loads, when there is none, and when it cannot be loaded.
 * The picture is looked up here by id (the users cache, the group list), so every place that
 * shows someone follows a change at once. The box is fixed by its class: nothing moves when
 * the picture arrives. Hidden from screen readers: the name is always next to it.
 */
export function Avatar({ id, name, group, online, size }: Props) {
  const fileId = group ? groupAvatar(id) : userAvatar(id);
  const urls = fileId ? signedUrls(fileId).urls : undefined;
  const src = urls ? (urls.thumbnail_url ?? urls.url) : undefined;
  // The address the browser could not load: the letter shows until a new address is signed.
  const [failed, setFailed] = useState<string | null>(null);
  // Shown once loaded (a picture with transparent parts then gets its own backdrop, not the letter).
  const [loaded, setLoaded] = useState<string | null>(null);
  return (
    <span class={`avatar hue-${id % 6}${size ? ` ${size}` : ''}`} aria-hidden="true" data-testid="avatar" data-avatar-file={fileId || undefined}>
      {initials(name)}
      {src && src !== failed && (
        <img
          src={src}
          alt=""
          class={src === loaded ? 'loaded' : undefined}
          decoding="async"
          onLoad={() => setLoaded(src)}
          onError={() => {
            setFailed(src);
            reloadUrls(fileId);
          }}
        />
      )}
      {online !== undefined && <span class={online ? 'dot online' : 'dot'} />}
    </span>
  );
}
