import type { Message } from '../api/generated';

/** A message as the server sends it: seq `seq` of room 1, by bob, unless `over` says otherwise. */
export const message = (seq: number, over: Partial<Message> = {}): Message => ({
  id: seq,
  room_id: 1,
  seq,
  author: { id: 2, username: 'bob', display_name: 'Bob' },
  body: `m${seq}`,
  client_msg_id: null,
  parent_seq: null,
  created_at: '2026-11-22T10:00:00Z',
  edited_at: null,
  deleted: false,
  reply_count: 0,
  last_reply_at: null,
  reactions: [],
  ...over,
});
