/** WebSocket frames, from ../openapi/asyncapi.yaml. */
import type { Announcement, Message, Notification, PublicUser, Room, User } from '../api/generated';

export type Role = 'owner' | 'admin' | 'member';

export type RoomEventFrame =
  | { type: 'message.created' | 'message.updated' | 'message.deleted'; room_id: number; event_seq: number; message: Message }
  | { type: 'message.pinned' | 'message.unpinned'; room_id: number; event_seq: number; seq: number; user_id: number }
  | { type: 'reaction.added' | 'reaction.removed'; room_id: number; event_seq: number; seq: number; emoji: string; user_id: number }
  | { type: 'room.updated'; room_id: number; event_seq: number; room: Room }
  | { type: 'room.deleted'; room_id: number; event_seq: number }
  | { type: 'member.joined'; room_id: number; event_seq: number; user: PublicUser; role: Role }
  | { type: 'member.updated'; room_id: number; event_seq: number; user_id: number; role: Role }
  | { type: 'member.left'; room_id: number; event_seq: number; user_id: number; reason: 'left' | 'kicked' | 'banned' };

export type ServerFrame =
  | RoomEventFrame
  | { type: 'ready'; user: User; rooms: { room_id: number; last_event_seq: number; last_seq: number }[] }
  | { type: 'message.ack'; client_msg_id: string | null; message: Message; ref?: string }
  | { type: 'typing' | 'typing.stop'; room_id: number; user_id: number }
  | { type: 'read'; room_id: number; user_id: number; seq: number }
  | { type: 'presence'; user_id: number; status: 'online' | 'offline' }
  | { type: 'presence.batch'; online: number[]; offline: number[] }
  | { type: 'notification'; notification: Notification }
  | { type: 'announcement'; announcement: Announcement }
  | { type: 'pong'; ref?: string }
  | { type: 'error'; code: string; message: string; ref?: string; client_msg_id?: string; errors?: Record<string, string[]> }
  | { type: 'resync_required'; room_id: number };

export type SendFrame = { type: 'message.send'; room_id: number; body: string; client_msg_id: string; parent_seq?: number };

export type ClientFrame =
  | { type: 'auth'; token: string; resume?: Record<string, number> }
  | SendFrame
  | { type: 'typing' | 'typing.stop'; room_id: number }
  | { type: 'read'; room_id: number; seq: number }
  | { type: 'resume'; rooms: Record<string, number> }
  | { type: 'ping'; ref?: string };

export function isRoomEvent(f: ServerFrame): f is RoomEventFrame {
  return 'event_seq' in f && typeof (f as { event_seq?: unknown }).event_seq === 'number';
}

/** Close codes with a meaning (asyncapi.yaml). */
export const CLOSE = {
  NORMAL: 1000,
  GOING_AWAY: 1001,
  POLICY: 1008,
  TOO_BIG: 1009,
  AUTH_FAILED: 4001,
  SESSION_ENDED: 4003,
  TOO_SLOW: 4008,
  RATE_LIMITED: 4029,
} as const;
