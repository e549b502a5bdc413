import { beforeEach, describe, expect, it, vi } from 'vitest';
import type { TokenPair } from '../api/generated';
import { fromPair, getAuth, refreshAuth, resetTokensForTests, setAuth, setRefresher, freshAccessToken } from './tokens';

const pair = (n: number, expiresIn = 900): TokenPair => ({
  access_token: `a${n}`,
  refresh_token: `r${n}`,
  token_type: 'Bearer',
  expires_in: expiresIn,
  user: { id: 1, username: 'alice', display_name: 'Alice', email: 'a@x', email_verified: false, is_admin: false, bio: '', created_at: '' },
});

beforeEach(() => {
  localStorage.clear();
  resetTokensForTests();
  setAuth(fromPair(pair(1)));
});

describe('token coordination', () => {
  it('shares one refresh between concurrent callers', async () => {
    const refresher = vi.fn(async () => pair(2));
    setRefresher(refresher);
    const [a, b] = await Promise.all([refreshAuth(), refreshAuth()]);
    expect(refresher).toHaveBeenCalledTimes(1);
    expect(a?.refreshToken).toBe('r2');
    expect(b?.refreshToken).toBe('r2');
  });

  it('adopts the pair another tab stored instead of spending the old token', async () => {
    const refresher = vi.fn(async () => pair(99));
    setRefresher(refresher);
    // Another tab rotated r1 → r2 and wrote storage; this tab still holds r1 in memory.
    localStorage.setItem('parley.auth', JSON.stringify(fromPair(pair(2))));
    const got = await refreshAuth();
    expect(refresher).not.toHaveBeenCalled();
    expect(got?.refreshToken).toBe('r2');
    expect(getAuth()?.accessToken).toBe('a2');
  });

  it('signs out when the server refuses the refresh token', async () => {
    setRefresher(async () => 'invalid');
    expect(await refreshAuth()).toBeNull();
    expect(getAuth()).toBeNull();
    expect(localStorage.getItem('parley.auth')).toBeNull();
  });

  it('keeps the session when the refresh fails for a network reason', async () => {
    setRefresher(async () => {
      throw new Error('offline');
    });
    await expect(refreshAuth()).rejects.toThrow('offline');
    expect(getAuth()?.refreshToken).toBe('r1');
  });

  it('refreshes shortly before the access token expires', async () => {
    setAuth(fromPair(pair(1, 900)));
    setRefresher(async () => pair(3));
    expect(await freshAccessToken()).toBe('a1');
    const now = Date.now();
    const spy = vi.spyOn(Date, 'now').mockReturnValue(now + 880_000);
    expect(await freshAccessToken()).toBe('a3');
    spy.mockRestore();
    expect(await freshAccessToken()).toBe('a3');
  });

  it('scales the margin down for short-lived tokens', async () => {
    setAuth(fromPair(pair(1, 8)));
    setRefresher(async () => pair(4, 8));
    expect(await freshAccessToken()).toBe('a1');
  });
});
