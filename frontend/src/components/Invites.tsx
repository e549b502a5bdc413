import { useState, type FormEvent } from 'react';
import { useRevokeInviteMutation, type Invite, type CreateInviteRequest } from '../api/generated';
import { errorMessage } from '../lib/errors';
import { fullTime } from '../lib/time';

const EXPIRY: { label: string; secs: number | null }[] = [
  { label: '1 hour', secs: 3600 },
  { label: '1 day', secs: 86400 },
  { label: '7 days', secs: 7 * 86400 },
  { label: '30 days', secs: 30 * 86400 },
  { label: 'Never', secs: null },
];

/** Invite links of a room or an organisation: create, copy, revoke. */
export function InvitesPanel({
  invites,
  create,
}: {
  invites: Invite[] | undefined;
  create: (req: CreateInviteRequest) => Promise<Invite>;
}) {
  const [revoke] = useRevokeInviteMutation();
  const [error, setError] = useState<string | null>(null);
  const [copied, setCopied] = useState<string | null>(null);
  async function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    setError(null);
    const exp = String(f.get('expires'));
    const uses = String(f.get('max_uses') ?? '').trim();
    try {
      await create({ expires_in_secs: exp === '' ? null : Number(exp), max_uses: uses ? Number(uses) : null });
    } catch (err) {
      setError(errorMessage(err));
    }
  }
  async function copy(url: string) {
    try {
      await navigator.clipboard.writeText(url);
      setCopied(url);
    } catch {
      setCopied(null);
    }
  }
  return (
    <div className="section">
      <form className="row" onSubmit={submit} aria-label="New invite link">
        <label htmlFor="inv-exp">Expires after</label>
        <select id="inv-exp" name="expires" defaultValue="604800">
          {EXPIRY.map((x) => (
            <option key={x.label} value={x.secs ?? ''}>
              {x.label}
            </option>
          ))}
        </select>
        <label htmlFor="inv-uses">Max uses</label>
        <input id="inv-uses" name="max_uses" type="number" min={1} max={1000} placeholder="unlimited" style={{ width: 110 }} />
        <button className="btn primary">Create invite link</button>
      </form>
      {error && <div className="form-error" role="alert">{error}</div>}
      <ul className="card-list" aria-label="Invite links" style={{ marginTop: 12 }}>
        {invites?.map((inv) => (
          <li key={inv.code} className="card">
            <div className="card-main">
              <code className="invite-url">{inv.url}</code>
              <span className="muted small">
                used {inv.uses}
                {inv.max_uses ? ` of ${inv.max_uses}` : ''} · {inv.expires_at ? `expires ${fullTime(inv.expires_at)}` : 'never expires'}
              </span>
            </div>
            <button className="btn small" onClick={() => void copy(inv.url)}>
              {copied === inv.url ? 'Copied' : 'Copy'}
            </button>
            <button className="btn small" onClick={() => revoke({ code: inv.code })} aria-label={`Revoke invite ${inv.code}`}>
              Revoke
            </button>
          </li>
        ))}
        {invites?.length === 0 && <li className="muted">No active invite links.</li>}
      </ul>
    </div>
  );
}
