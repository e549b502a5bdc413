/** The caller's room list (sidebar), kept live by socket events. */
import { createSlice, type PayloadAction } from '@reduxjs/toolkit';
import type { Message, Room, RoomListItem } from '../api/generated';
import { parleyApi } from '../api/generated';

export type RoomsState = {
  byId: Record<number, RoomListItem>;
  loaded: boolean;
  activeRoomId: number | null;
  /**
   * Order of room-list requests: an answer to an older request arriving after a newer
   * one's is dropped (it would undo newer unread counts and last messages).
   */
  listIssued: number;
  listApplied: number;
  listOrder: Record<string, number>;
};

const initialState: RoomsState = { byId: {}, loaded: false, activeRoomId: null, listIssued: 0, listApplied: 0, listOrder: {} };

const roomsSlice = createSlice({
  name: 'rooms',
  initialState,
  reducers: {
    activeRoomChanged(state, a: PayloadAction<number | null>) {
      state.activeRoomId = a.payload;
    },
    roomUpserted(state, a: PayloadAction<RoomListItem>) {
      state.byId[a.payload.id] = { ...state.byId[a.payload.id], ...a.payload };
    },
    roomUpdated(state, a: PayloadAction<Room>) {
      const cur = state.byId[a.payload.id];
      if (!cur) return;
      // Events carry no per-viewer fields: keep our title for direct chats.
      const title = a.payload.kind === 'direct' && !a.payload.title ? cur.title : a.payload.title;
      state.byId[a.payload.id] = { ...cur, ...a.payload, title };
    },
    roomRemoved(state, a: PayloadAction<number>) {
      delete state.byId[a.payload];
    },
    liveMessage(state, a: PayloadAction<{ message: Message; mine: boolean; seen: boolean }>) {
      const { message, mine, seen } = a.payload;
      const r = state.byId[message.room_id];
      if (!r) return;
      if (message.seq > r.last_seq) {
        r.last_seq = message.seq;
        if (!message.parent_seq) r.last_message = message;
        if (!mine && !seen) r.unread_count += 1;
        if (mine || seen) r.membership = { ...r.membership, last_read_seq: Math.max(r.membership.last_read_seq, message.seq) };
      } else if (r.last_message?.seq === message.seq) {
        r.last_message = message;
      }
    },
    markedRead(state, a: PayloadAction<{ roomId: number; seq: number }>) {
      const r = state.byId[a.payload.roomId];
      if (!r) return;
      r.membership = { ...r.membership, last_read_seq: Math.max(r.membership.last_read_seq, a.payload.seq) };
      r.unread_count = 0;
    },
    memberCountChanged(state, a: PayloadAction<{ roomId: number; delta: number }>) {
      const r = state.byId[a.payload.roomId];
      if (r) r.member_count = Math.max(0, r.member_count + a.payload.delta);
    },
    roleChanged(state, a: PayloadAction<{ roomId: number; role: string }>) {
      const r = state.byId[a.payload.roomId];
      if (r) r.membership = { ...r.membership, role: a.payload.role };
    },
    roomsReset() {
      return initialState;
    },
  },
  extraReducers: (b) => {
    b.addMatcher(parleyApi.endpoints.listRooms.matchPending, (state, a) => {
      state.listIssued += 1;
      state.listOrder[a.meta.requestId] = state.listIssued;
    });
    b.addMatcher(parleyApi.endpoints.listRooms.matchRejected, (state, a) => {
      delete state.listOrder[a.meta.requestId];
    });
    b.addMatcher(parleyApi.endpoints.listRooms.matchFulfilled, (state, a) => {
      const order = state.listOrder[a.meta.requestId] ?? state.listIssued;
      delete state.listOrder[a.meta.requestId];
      if (order < state.listApplied) return;
      state.listApplied = order;
      const byId: Record<number, RoomListItem> = {};
      for (const r of a.payload.items) byId[r.id] = r;
      state.byId = byId;
      state.loaded = true;
    });
  },
});

export const roomsActions = roomsSlice.actions;
export default roomsSlice.reducer;

/** Sidebar order: newest activity first. */
export function sortRooms(rooms: RoomListItem[]): RoomListItem[] {
  return [...rooms].sort((a, b) => {
    const ta = a.last_message ? Date.parse(a.last_message.created_at) : Date.parse(a.created_at);
    const tb = b.last_message ? Date.parse(b.last_message.created_at) : Date.parse(b.created_at);
    return tb - ta;
  });
}
