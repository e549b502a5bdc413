/** Who is signed in, and the socket's state. */
import { createSlice, type PayloadAction } from '@reduxjs/toolkit';
import type { Notification, User } from '../api/generated';
import type { ConnectionStatus } from '../realtime/socket';

export type SessionState = {
  user: User | null;
  connection: ConnectionStatus;
  retryInMs: number | null;
  /** Bumped each time the socket becomes ready again after a loss (views refetch). */
  reconnects: number;
  /** Live notifications not yet seen in the notifications page. */
  liveNotifications: Notification[];
};

const sessionSlice = createSlice({
  name: 'session',
  initialState: { user: null, connection: 'stopped', retryInMs: null, reconnects: 0, liveNotifications: [] } as SessionState,
  reducers: {
    signedIn(state, a: PayloadAction<User>) {
      state.user = a.payload;
    },
    signedOut(state) {
      state.user = null;
      state.connection = 'stopped';
      state.liveNotifications = [];
    },
    connectionChanged(state, a: PayloadAction<{ status: ConnectionStatus; retryInMs?: number }>) {
      state.connection = a.payload.status;
      state.retryInMs = a.payload.retryInMs ?? null;
    },
    reconnected(state) {
      state.reconnects += 1;
    },
    notificationArrived(state, a: PayloadAction<Notification>) {
      state.liveNotifications.unshift(a.payload);
    },
    notificationsSeen(state) {
      state.liveNotifications = [];
    },
  },
});

export const sessionActions = sessionSlice.actions;
export default sessionSlice.reducer;
