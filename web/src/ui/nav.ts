// Which side panel is shown (the open conversation is chat.openId).
import { signal } from '@preact/signals';

export type Tab = 'chats' | 'friends' | 'groups' | 'settings' | 'notifications';
export const tab = signal<Tab>('chats');
