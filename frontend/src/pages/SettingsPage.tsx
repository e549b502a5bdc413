import { useState, type FormEvent } from 'react';
import {
  useChangePasswordMutation,
  useDeleteOtherSessionsMutation,
  useDeleteSessionMutation,
  useListBlocksQuery,
  useListSessionsQuery,
  useResendVerificationMutation,
  useUnblockUserMutation,
  useUpdateMeMutation,
} from '../api/generated';
import { useAppSelector } from '../store';
import { updateUser } from '../auth/tokens';
import { PageHeader, Spinner } from '../components/ui';
import { errorMessage, fieldErrors } from '../lib/errors';
import { ago, fullTime } from '../lib/time';
import { signOut } from '../auth/useAuth';
import { Tabs } from '../components/Tabs';
import { desktopNotificationsEnabled, desktopNotificationsSupported, setDesktopNotifications } from '../lib/desktopNotify';

const TABS = ['Profile', 'Password', 'Sessions', 'Blocked'] as const;
type Tab = (typeof TABS)[number];

export function SettingsPage() {
  const [tab, setTab] = useState<Tab>('Profile');
  return (
    <div className="page">
      <PageHeader title="Profile and settings" />
      <div className="page-body">
        <Tabs tabs={TABS} value={tab} onChange={setTab} label="Settings sections">
          {tab === 'Profile' && <Profile />}
          {tab === 'Password' && <Password />}
          {tab === 'Sessions' && <Sessions />}
          {tab === 'Blocked' && <Blocked />}
        </Tabs>
      </div>
    </div>
  );
}

function Profile() {
  const user = useAppSelector((s) => s.session.user);
  const [update, { isLoading }] = useUpdateMeMutation();
  const [resend, resendState] = useResendVerificationMutation();
  const [errors, setErrors] = useState<Record<string, string>>({});
  const [msg, setMsg] = useState<string | null>(null);
  if (!user) return <Spinner />;
  async function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    setErrors({});
    setMsg(null);
    const email = String(f.get('email')).trim();
    const body = {
      display_name: String(f.get('display_name')).trim(),
      bio: String(f.get('bio')),
      // An empty string clears the picture (null would leave it unchanged).
      avatar_url: String(f.get('avatar_url') ?? '').trim(),
      ...(email !== user!.email ? { email, current_password: String(f.get('current_password') ?? '') } : {}),
    };
    try {
      const next = await update({ updateMeRequest: body }).unwrap();
      updateUser(next);
      setMsg('Saved.');
    } catch (err) {
      const fe = fieldErrors(err);
      setErrors(Object.keys(fe).length ? fe : { form: errorMessage(err) });
    }
  }
  return (
    <form className="section" onSubmit={submit} aria-label="Profile">
      <div className="field">
        <label htmlFor="p-username">Username</label>
        <input id="p-username" value={user.username} readOnly aria-readonly />
      </div>
      <div className="field">
        <label htmlFor="p-display">Display name</label>
        <input id="p-display" name="display_name" defaultValue={user.display_name} maxLength={64} />
        {errors.display_name && <div className="field-error">{errors.display_name}</div>}
      </div>
      <div className="field">
        <label htmlFor="p-bio">About you</label>
        <textarea id="p-bio" name="bio" defaultValue={user.bio} rows={3} />
        {errors.bio && <div className="field-error">{errors.bio}</div>}
      </div>
      <div className="field">
        <label htmlFor="p-avatar">Picture (an https:// image address)</label>
        <input id="p-avatar" name="avatar_url" type="url" pattern="https://.*" defaultValue={user.avatar_url ?? ''} placeholder="https://…" />
        {errors.avatar_url && <div className="field-error">{errors.avatar_url}</div>}
      </div>
      <div className="field">
        <label htmlFor="p-email">
          Email{' '}
          {user.email_verified ? <span className="pill">verified</span> : <span className="pill warn">not verified</span>}
        </label>
        <input id="p-email" name="email" type="email" defaultValue={user.email} />
        {errors.email && <div className="field-error">{errors.email}</div>}
      </div>
      <div className="field">
        <label htmlFor="p-current">Current password (only to change the email)</label>
        <input id="p-current" name="current_password" type="password" autoComplete="current-password" />
        {errors.current_password && <div className="field-error">{errors.current_password}</div>}
      </div>
      {errors.form && <div className="form-error" role="alert">{errors.form}</div>}
      {msg && <div className="ok-msg" role="status">{msg}</div>}
      <DesktopNotificationsToggle />
      <div className="row">
        <button className="btn primary" disabled={isLoading}>Save profile</button>
        {!user.email_verified && (
          <button type="button" className="btn" disabled={resendState.isLoading || resendState.isSuccess} onClick={() => resend()}>
            {resendState.isSuccess ? 'Verification mail sent' : 'Send verification mail'}
          </button>
        )}
      </div>
    </form>
  );
}

function DesktopNotificationsToggle() {
  const [on, setOn] = useState(desktopNotificationsEnabled);
  const [denied, setDenied] = useState(false);
  if (!desktopNotificationsSupported()) return null;
  return (
    <div className="field">
      <label className="radio">
        <input
          type="checkbox"
          checked={on}
          onChange={async (e) => {
            const ok = await setDesktopNotifications(e.target.checked);
            setOn(ok);
            setDenied(e.target.checked && !ok);
          }}
        />
        Desktop notifications for mentions and direct messages while Parley is in the background
      </label>
      {denied && <div className="field-error">The browser did not allow notifications for this site.</div>}
    </div>
  );
}

function Password() {
  const [change, { isLoading, isSuccess }] = useChangePasswordMutation();
  const [error, setError] = useState<string | null>(null);
  async function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    setError(null);
    if (f.get('new_password') !== f.get('confirm')) {
      setError('The new passwords differ');
      return;
    }
    try {
      await change({
        changePasswordRequest: { current_password: String(f.get('current_password')), new_password: String(f.get('new_password')) },
      }).unwrap();
      // A password change ends every session, this one included.
      await signOut();
    } catch (err) {
      const fe = fieldErrors(err);
      setError(fe.current_password ?? fe.new_password ?? errorMessage(err));
    }
  }
  return (
    <form className="section" onSubmit={submit} aria-label="Change password">
      <p className="muted">Changing your password signs you out everywhere.</p>
      <div className="field">
        <label htmlFor="pw-current">Current password</label>
        <input id="pw-current" name="current_password" type="password" autoComplete="current-password" required />
      </div>
      <div className="field">
        <label htmlFor="pw-new">New password</label>
        <input id="pw-new" name="new_password" type="password" autoComplete="new-password" minLength={8} required />
      </div>
      <div className="field">
        <label htmlFor="pw-confirm">Repeat the new password</label>
        <input id="pw-confirm" name="confirm" type="password" autoComplete="new-password" minLength={8} required />
      </div>
      {error && <div className="form-error" role="alert">{error}</div>}
      {isSuccess && <div className="ok-msg" role="status">Password changed.</div>}
      <button className="btn primary" disabled={isLoading}>Change password</button>
    </form>
  );
}

function Sessions() {
  const { data, isLoading } = useListSessionsQuery();
  const [endOthers, endOthersState] = useDeleteOtherSessionsMutation();
  const [endOne] = useDeleteSessionMutation();
  if (isLoading) return <Spinner />;
  const others = data?.items.filter((s) => !s.current).length ?? 0;
  return (
    <div className="section">
      <div className="row" style={{ justifyContent: 'space-between' }}>
        <h2>Where you are signed in</h2>
        <button className="btn danger small" disabled={!others || endOthersState.isLoading} onClick={() => endOthers()}>
          Log out other devices
        </button>
      </div>
      {endOthersState.isSuccess && <p className="ok-msg" role="status">Other devices are signed out.</p>}
      <ul className="card-list" aria-label="Sessions">
        {data?.items.map((s) => (
          <li key={s.id} className="card">
            <div className="card-main">
              <span className="strong">
                {describeAgent(s.user_agent)} {s.current && <span className="pill">this device</span>}
              </span>
              <span className="muted small">
                {s.ip ?? 'unknown address'} · active {ago(s.last_used_at)} · since {fullTime(s.created_at)}
              </span>
            </div>
            {!s.current && (
              <button className="btn small" onClick={() => endOne({ sessionId: s.id })} aria-label={`Log out session ${s.id}`}>
                Log out
              </button>
            )}
          </li>
        ))}
      </ul>
    </div>
  );
}

function describeAgent(ua?: string | null) {
  if (!ua) return 'Unknown device';
  const browser = /Firefox\//.test(ua) ? 'Firefox' : /Edg\//.test(ua) ? 'Edge' : /Chrom(e|ium)\//.test(ua) ? 'Chrome' : /Safari\//.test(ua) ? 'Safari' : 'Browser';
  const os = /Android/.test(ua) ? 'Android' : /iPhone|iPad/.test(ua) ? 'iOS' : /Mac OS X/.test(ua) ? 'macOS' : /Windows/.test(ua) ? 'Windows' : /Linux/.test(ua) ? 'Linux' : '';
  return os ? `${browser} on ${os}` : browser;
}

function Blocked() {
  const { data, isLoading } = useListBlocksQuery();
  const [unblock] = useUnblockUserMutation();
  if (isLoading) return <Spinner />;
  return (
    <div className="section">
      <h2>Blocked people</h2>
      {data?.items.length === 0 && <p className="muted">You have not blocked anyone.</p>}
      <ul className="card-list">
        {data?.items.map((u) => (
          <li key={u.id} className="card">
            <div className="card-main">
              <span className="strong">{u.display_name}</span>
              <span className="muted small">@{u.username}</span>
            </div>
            <button className="btn small" onClick={() => unblock({ userId: u.id })}>
              Unblock
            </button>
          </li>
        ))}
      </ul>
    </div>
  );
}
