import { useEffect, useSyncExternalStore } from 'react';
import { useStore } from 'react-redux';
import { getAuth, setAuth, subscribeAuth, fromPair, type StoredAuth } from './tokens';
import type { TokenPair } from '../api/generated';
import { baseApi } from '../api/baseApi';
import { clearOutbox, startRealtime, stopRealtime } from '../realtime/client';
import type { AppStore } from '../store';
import { sessionActions } from '../store/sessionSlice';
import { chatActions } from '../store/chatSlice';
import { roomsActions } from '../store/roomsSlice';

export function useStoredAuth(): StoredAuth | null {
  return useSyncExternalStore(subscribeAuth, getAuth, getAuth);
}

/** Keeps the store and the socket in line with the (cross-tab) token state. */
export function useSessionLifecycle() {
  const auth = useStoredAuth();
  const store = useStore() as AppStore;
  const userId = auth?.user.id ?? null;
  useEffect(() => {
    if (userId === null) return;
    const a = getAuth();
    if (a) store.dispatch(sessionActions.signedIn(a.user));
    startRealtime(store);
    return () => {
      stopRealtime();
      store.dispatch(sessionActions.signedOut());
      store.dispatch(chatActions.chatReset());
      store.dispatch(roomsActions.roomsReset());
      store.dispatch(baseApi.util.resetApiState());
    };
  }, [userId, store]);
  return auth;
}

export function signIn(pair: TokenPair) {
  setAuth(fromPair(pair));
}

export async function signOut() {
  const a = getAuth();
  if (a) {
    clearOutbox(a.user.id);
    try {
      await fetch('/api/logout', {
        method: 'POST',
        headers: { Authorization: `Bearer ${a.accessToken}`, 'Content-Type': 'application/json' },
        body: JSON.stringify({ refresh_token: a.refreshToken }),
      });
    } catch {
      /* offline: the tokens are forgotten anyway */
    }
  }
  setAuth(null);
}
