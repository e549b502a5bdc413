import { fetchBaseQuery, type BaseQueryFn, type FetchArgs, type FetchBaseQueryError } from '@reduxjs/toolkit/query';
import { freshAccessToken, getAuth, refreshAuth } from '../auth/tokens';

const rawBaseQuery = fetchBaseQuery({
  baseUrl: '/',
  prepareHeaders: (headers) => {
    const token = getAuth()?.accessToken;
    if (token && !headers.has('Authorization')) headers.set('Authorization', `Bearer ${token}`);
    return headers;
  },
});

/**
 * Every REST call: attach a fresh access token (refreshing shortly before expiry), and on
 * a 401 refresh once (coordinated across tabs, see auth/tokens.ts) and retry.
 */
export const baseQueryWithReauth: BaseQueryFn<string | FetchArgs, unknown, FetchBaseQueryError> = async (
  args,
  api,
  extra,
) => {
  if (getAuth()) {
    try {
      await freshAccessToken();
    } catch {
      /* offline: try with what we have */
    }
  }
  let result = await rawBaseQuery(args, api, extra);
  // Rate limited: wait as told (when it is short) and try once more.
  if (result.error?.status === 429) {
    const after = Number(result.meta?.response?.headers.get('Retry-After') ?? '');
    if (Number.isFinite(after) && after >= 0 && after <= 10) {
      await new Promise((r) => setTimeout(r, after * 1000 + 100));
      result = await rawBaseQuery(args, api, extra);
    }
  }
  if (result.error?.status === 401 && getAuth()) {
    const url = typeof args === 'string' ? args : args.url;
    if (!/\/api\/(login|register|token\/refresh)/.test(url)) {
      const next = await refreshAuth().catch(() => null);
      if (next) result = await rawBaseQuery(args, api, extra);
    }
  }
  return result;
};
