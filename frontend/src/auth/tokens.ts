/**
 * The token pair, shared by every tab of the app.
 *
 * Refresh tokens rotate and a spent one revokes the whole session when presented again,
 * so two tabs must never refresh with the same token. The rules:
 *  - the pair lives in localStorage (one copy for every tab of the origin);
 *  - a refresh runs under the Web Lock `parley-refresh` (one tab at a time, browser-wide);
 *    inside the lock the tab re-reads storage first: if another tab already rotated the
 *    token it was about to spend, it adopts that pair instead of refreshing;
 *  - the new pair is announced on the BroadcastChannel `parley-auth` (and the `storage`
 *    event covers browsers without it), so other tabs update their in-memory copy;
 *  - in one tab, concurrent callers share one in-flight refresh.
 */
import type { TokenPair, User } from '../api/generated';

export type StoredAuth = {
  accessToken: string;
  refreshToken: string;
  /** ms since epoch when the access token expires. */
  expiresAt: number;
  /** ms since epoch when it was issued (to refresh at a fraction of its life). */
  issuedAt?: number;
  user: User;
};

type Listener = (auth: StoredAuth | null) => void;

const STORAGE_KEY = 'parley.auth';
const CHANNEL = 'parley-auth';
const LOCK = 'parley-refresh';

let current: StoredAuth | null = read();
const listeners = new Set<Listener>();
let channel: BroadcastChannel | null = null;
let inflight: Promise<StoredAuth | null> | null = null;

function read(): StoredAuth | null {
  try {
    const raw = globalThis.localStorage?.getItem(STORAGE_KEY);
    return raw ? (JSON.parse(raw) as StoredAuth) : null;
  } catch {
    return null;
  }
}

function write(auth: StoredAuth | null) {
  try {
    if (auth) localStorage.setItem(STORAGE_KEY, JSON.stringify(auth));
    else localStorage.removeItem(STORAGE_KEY);
  } catch {
    /* private mode: memory only */
  }
}

function emit() {
  for (const l of listeners) l(current);
}

function adopt(auth: StoredAuth | null) {
  const changed = auth?.refreshToken !== current?.refreshToken || auth?.user !== current?.user;
  current = auth;
  if (changed) emit();
}

function announce(auth: StoredAuth | null) {
  channel?.postMessage({ type: 'auth', auth });
}

/** Start listening to other tabs. Idempotent. */
export function initTokenSync() {
  if (channel || typeof window === 'undefined') return;
  if (typeof BroadcastChannel !== 'undefined') {
    channel = new BroadcastChannel(CHANNEL);
    channel.onmessage = (e: MessageEvent<{ type: string; auth: StoredAuth | null }>) => {
      if (e.data?.type === 'auth') adopt(e.data.auth);
    };
  }
  window.addEventListener('storage', (e) => {
    if (e.key === STORAGE_KEY) adopt(read());
  });
}

export function fromPair(pair: TokenPair): StoredAuth {
  return {
    accessToken: pair.access_token,
    refreshToken: pair.refresh_token,
    expiresAt: Date.now() + pair.expires_in * 1000,
    issuedAt: Date.now(),
    user: pair.user,
  };
}

export function getAuth(): StoredAuth | null {
  return current;
}

export function setAuth(auth: StoredAuth | null) {
  write(auth);
  current = auth;
  announce(auth);
  emit();
}

export function updateUser(user: User) {
  if (!current) return;
  setAuth({ ...current, user });
}

export function subscribeAuth(l: Listener): () => void {
  listeners.add(l);
  return () => listeners.delete(l);
}

type Refresher = (refreshToken: string) => Promise<TokenPair | 'invalid'>;

/** POST /api/token/refresh; 'invalid' when the server refuses the token (session over). */
export const defaultRefresher: Refresher = async (refreshToken) => {
  const res = await fetch('/api/token/refresh', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ refresh_token: refreshToken }),
  });
  if (res.status === 400 || res.status === 401 || res.status === 403 || res.status === 422) return 'invalid';
  if (!res.ok) throw new Error(`refresh failed: ${res.status}`);
  return (await res.json()) as TokenPair;
};

let refresher: Refresher = defaultRefresher;
/** Tests swap the network call. */
export function setRefresher(r: Refresher) {
  refresher = r;
}

async function withLock<T>(fn: () => Promise<T>): Promise<T> {
  const locks = (globalThis.navigator as Navigator | undefined)?.locks;
  if (locks?.request) return locks.request(LOCK, fn) as Promise<T>;
  return fn();
}

/**
 * Get a new pair, spending `staleRefreshToken` (the token the caller saw when it decided
 * to refresh) unless another tab has already replaced it.
 * Resolves to null when the session is over (the caller should sign out).
 */
export function refreshAuth(): Promise<StoredAuth | null> {
  if (inflight) return inflight;
  const seen = current?.refreshToken ?? read()?.refreshToken;
  inflight = withLock(async () => {
    const stored = read() ?? current;
    if (!stored) return null;
    if (seen && stored.refreshToken !== seen) {
      // Another tab rotated while we waited for the lock: take its pair.
      adopt(stored);
      return stored;
    }
    const pair = await refresher(stored.refreshToken);
    if (pair === 'invalid') {
      // Maybe another tab won a race outside the lock (no Web Locks): check once more.
      const again = read();
      if (again && again.refreshToken !== stored.refreshToken) {
        adopt(again);
        return again;
      }
      setAuth(null);
      return null;
    }
    const next = fromPair(pair);
    setAuth(next);
    return next;
  }).finally(() => {
    inflight = null;
  });
  return inflight;
}

/**
 * An access token valid for at least `marginMs` (at most a quarter of its lifetime),
 * refreshing first when needed.
 */
export async function freshAccessToken(marginMs = 30_000): Promise<string | null> {
  const auth = current ?? read();
  if (!auth) return null;
  const lifetime = auth.issuedAt ? auth.expiresAt - auth.issuedAt : Infinity;
  if (auth.expiresAt - Date.now() > Math.min(marginMs, lifetime / 4)) return auth.accessToken;
  const next = await refreshAuth();
  return next?.accessToken ?? null;
}

/** Test helper: forget module state. */
export function resetTokensForTests() {
  current = read();
  inflight = null;
  listeners.clear();
}
