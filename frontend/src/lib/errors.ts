import type { FetchBaseQueryError } from '@reduxjs/toolkit/query';
import type { SerializedError } from '@reduxjs/toolkit';

export type ProblemLike = { code?: string; detail?: string; title?: string; errors?: Record<string, string[]> };

/** The problem+json document of a failed RTK Query call, if any. */
export function problemOf(err: unknown): ProblemLike | null {
  if (err && typeof err === 'object' && 'data' in err) {
    const data = (err as FetchBaseQueryError & { data?: unknown }).data;
    if (data && typeof data === 'object') return data as ProblemLike;
  }
  return null;
}

/** A sentence for the user. */
export function errorMessage(err: FetchBaseQueryError | SerializedError | unknown, fallback = 'Something went wrong'): string {
  const p = problemOf(err);
  if (p) {
    if (p.errors) {
      const parts = Object.entries(p.errors).map(([f, msgs]) => `${f}: ${msgs.join(', ')}`);
      if (parts.length) return parts.join('; ');
    }
    return p.detail || p.title || fallback;
  }
  if (err && typeof err === 'object' && 'status' in err && (err as { status: unknown }).status === 'FETCH_ERROR')
    return 'Cannot reach the server';
  return fallback;
}

/** Field → messages from a validation_failed answer. */
export function fieldErrors(err: unknown): Record<string, string> {
  const p = problemOf(err);
  const out: Record<string, string> = {};
  if (p?.errors) for (const [k, v] of Object.entries(p.errors)) out[k] = v.join(', ');
  return out;
}
