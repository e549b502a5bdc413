import { useState } from 'react';
import { Link } from 'react-router';
import {
  useCreatePasswordResetLinkMutation,
  useDeleteAdminRoomMutation,
  useDeleteUserMutation,
  useLazyExportUserQuery,
  useListAdminRoomsQuery,
  useDeactivateUserMutation,
  useDemoteUserMutation,
  useGetStatsQuery,
  useHandleReportMutation,
  useListAdminUsersQuery,
  useListAuditQuery,
  useListReportsQuery,
  usePromoteUserMutation,
  useReactivateUserMutation,
} from '../api/generated';
import { useAppSelector } from '../store';
import { Tabs } from '../components/Tabs';
import { EmptyState, Modal, PageHeader, Spinner } from '../components/ui';
import { errorMessage } from '../lib/errors';
import { fullTime } from '../lib/time';

const TABS = ['Users', 'Rooms', 'Reports', 'Audit log'] as const;
type Tab = (typeof TABS)[number];

export function AdminPage() {
  const user = useAppSelector((s) => s.session.user);
  const [tab, setTab] = useState<Tab>('Users');
  if (!user?.is_admin)
    return (
      <div className="page">
        <PageHeader title="Administration" />
        <EmptyState title="Only server administrators can see this page" />
      </div>
    );
  return (
    <div className="page">
      <PageHeader title="Administration" />
      <div className="page-body">
        <Stats />
        <Tabs tabs={TABS} value={tab} onChange={setTab} label="Administration">
          {tab === 'Users' && <Users />}
          {tab === 'Rooms' && <Rooms />}
          {tab === 'Reports' && <Reports />}
          {tab === 'Audit log' && <Audit />}
        </Tabs>
      </div>
    </div>
  );
}

function Stats() {
  const { data } = useGetStatsQuery(undefined, { pollingInterval: 30_000 });
  if (!data) return null;
  return (
    <div className="stats" aria-label="Statistics">
      {(
        [
          ['Users', data.users],
          ['Rooms', data.rooms],
          ['Messages', data.messages],
          ['Open sockets', data.connections],
          ...(data.instances != null ? ([['Instances', data.instances]] as const) : []),
        ] as const
      ).map(([k, v]) => (
        <div className="stat" key={k}>
          <div className="num">{v.toLocaleString()}</div>
          <div className="muted small">{k}</div>
        </div>
      ))}
    </div>
  );
}

function Users() {
  const [q, setQ] = useState('');
  const [cursor, setCursor] = useState<string | undefined>();
  const { data, isFetching } = useListAdminUsersQuery({ q: q || undefined, limit: 50, cursor });
  const me = useAppSelector((s) => s.session.user?.id);
  const [promote] = usePromoteUserMutation();
  const [demote] = useDemoteUserMutation();
  const [deactivate] = useDeactivateUserMutation();
  const [reactivate] = useReactivateUserMutation();
  const [resetLink] = useCreatePasswordResetLinkMutation();
  const [removeUser] = useDeleteUserMutation();
  const [exportUser] = useLazyExportUserQuery();
  const [doomed, setDoomed] = useState<{ id: number; username: string } | null>(null);
  const [note, setNote] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const act = (p: Promise<unknown>) => p.catch((e) => setError(errorMessage(e)));
  return (
    <div>
      <div className="field">
        <label htmlFor="admin-q">Search users</label>
        <input id="admin-q" type="search" value={q} onChange={(e) => { setQ(e.target.value); setCursor(undefined); }} placeholder="Username, name or email" />
      </div>
      {error && <div className="form-error" role="alert">{error}</div>}
      {note && <div className="ok-msg" role="status">{note}</div>}
      {isFetching && !data && <Spinner />}
      <div className="table-wrap">
        <table className="data">
          <thead>
            <tr>
              <th scope="col">User</th>
              <th scope="col">Email</th>
              <th scope="col">Joined</th>
              <th scope="col">Status</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {data?.items.map((u) => (
              <tr key={u.id}>
                <td>
                  <strong>{u.display_name}</strong> <span className="muted">@{u.username}</span>
                </td>
                <td>{u.email}</td>
                <td className="small">{fullTime(u.created_at)}</td>
                <td>
                  {u.is_admin && <span className="pill">admin</span>} {!u.is_active && <span className="pill warn">deactivated</span>}
                </td>
                <td>
                  {u.id !== me && (
                    <div className="row">
                      {u.is_admin ? (
                        <button className="btn small" onClick={() => act(demote({ userId: u.id }).unwrap())}>Demote</button>
                      ) : (
                        <button className="btn small" onClick={() => act(promote({ userId: u.id }).unwrap())}>Make admin</button>
                      )}
                      {u.is_active ? (
                        <button className="btn small danger" onClick={() => act(deactivate({ userId: u.id }).unwrap())}>Deactivate</button>
                      ) : (
                        <button className="btn small" onClick={() => act(reactivate({ userId: u.id }).unwrap())}>Reactivate</button>
                      )}
                      <button
                        className="btn small"
                        onClick={() =>
                          act(
                            resetLink({ userId: u.id })
                              .unwrap()
                              .then((l) => setNote(`Reset link for @${u.username} (valid until ${fullTime(l.expires_at)}): ${l.url}`)),
                          )
                        }
                      >
                        Reset link
                      </button>
                      <button
                        className="btn small"
                        onClick={() =>
                          act(
                            exportUser({ userId: u.id })
                              .unwrap()
                              .then((data) => download(`parley-${u.username}.json`, data)),
                          )
                        }
                      >
                        Export
                      </button>
                      <button className="btn small danger" onClick={() => setDoomed({ id: u.id, username: u.username })}>
                        Delete
                      </button>
                    </div>
                  )}
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {data?.next_cursor && (
        <button className="btn" onClick={() => setCursor(data.next_cursor ?? undefined)}>
          Next page
        </button>
      )}
      {doomed && (
        <Modal title={`Delete @${doomed.username}?`} onClose={() => setDoomed(null)}>
          <p>The account and its personal data are deleted for good. Consider exporting it first.</p>
          <div className="row end">
            <button className="btn" onClick={() => setDoomed(null)}>
              Cancel
            </button>
            <button
              className="btn danger"
              onClick={() => {
                const id = doomed.id;
                setDoomed(null);
                act(removeUser({ userId: id }).unwrap());
              }}
            >
              Delete account
            </button>
          </div>
        </Modal>
      )}
    </div>
  );
}

function download(name: string, data: unknown) {
  const url = URL.createObjectURL(new Blob([JSON.stringify(data, null, 2)], { type: 'application/json' }));
  const a = document.createElement('a');
  a.href = url;
  a.download = name;
  a.click();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

function Rooms() {
  const [q, setQ] = useState('');
  const [cursor, setCursor] = useState<string | undefined>();
  const { data, isFetching } = useListAdminRoomsQuery({ q: q || undefined, limit: 50, cursor });
  const [del] = useDeleteAdminRoomMutation();
  const [doomed, setDoomed] = useState<{ id: number; title: string } | null>(null);
  const [error, setError] = useState<string | null>(null);
  return (
    <div>
      <div className="field">
        <label htmlFor="admin-rooms-q">Search rooms</label>
        <input id="admin-rooms-q" type="search" value={q} onChange={(e) => { setQ(e.target.value); setCursor(undefined); }} placeholder="Room name" />
      </div>
      {error && <div className="form-error" role="alert">{error}</div>}
      {isFetching && !data && <Spinner />}
      <div className="table-wrap">
        <table className="data">
          <thead>
            <tr>
              <th scope="col">Room</th>
              <th scope="col">Kind</th>
              <th scope="col">Members</th>
              <th scope="col">Messages</th>
              <th scope="col">Created</th>
              <th scope="col">Actions</th>
            </tr>
          </thead>
          <tbody>
            {data?.items.map((r) => (
              <tr key={r.id}>
                <td>
                  <Link to={`/rooms/${r.id}`}>{r.title || `direct chat ${r.id}`}</Link>
                </td>
                <td>{r.kind}</td>
                <td>{r.member_count}</td>
                <td>{r.message_count}</td>
                <td className="small">{fullTime(r.created_at)}</td>
                <td>
                  <button className="btn small danger" onClick={() => setDoomed({ id: r.id, title: r.title || `direct chat ${r.id}` })}>
                    Delete
                  </button>
                </td>
              </tr>
            ))}
          </tbody>
        </table>
      </div>
      {data?.next_cursor && (
        <button className="btn" onClick={() => setCursor(data.next_cursor ?? undefined)}>
          Next page
        </button>
      )}
      {doomed && (
        <Modal title={`Delete “${doomed.title}”?`} onClose={() => setDoomed(null)}>
          <p>Every message of the room is gone for everyone.</p>
          <div className="row end">
            <button className="btn" onClick={() => setDoomed(null)}>
              Cancel
            </button>
            <button
              className="btn danger"
              onClick={() => {
                const id = doomed.id;
                setDoomed(null);
                del({ roomId: id })
                  .unwrap()
                  .catch((e) => setError(errorMessage(e)));
              }}
            >
              Delete room
            </button>
          </div>
        </Modal>
      )}
    </div>
  );
}

function Reports() {
  const [status, setStatus] = useState('open');
  const { data, isLoading } = useListReportsQuery({ status, limit: 50 });
  const [handle] = useHandleReportMutation();
  return (
    <div>
      <div className="field">
        <label htmlFor="rep-status">Show</label>
        <select id="rep-status" value={status} onChange={(e) => setStatus(e.target.value)}>
          <option value="open">Open reports</option>
          <option value="resolved">Resolved</option>
          <option value="dismissed">Dismissed</option>
        </select>
      </div>
      {isLoading && <Spinner />}
      {data?.items.length === 0 && <p className="muted">No reports.</p>}
      <ul className="card-list" aria-label="Reports">
        {data?.items.map((r) => (
          <li key={r.id} className="card">
            <div className="card-main">
              <span>{r.reason}</span>
              <span className="muted small">
                by user {r.reporter_id} · {fullTime(r.created_at)} ·{' '}
                {r.room_id && r.seq ? <Link to={`/rooms/${r.room_id}?msg=${r.seq}`}>the message</Link> : r.user_id ? `user ${r.user_id}` : ''}
              </span>
            </div>
            {r.status === 'open' && (
              <>
                <button className="btn small" onClick={() => handle({ reportId: r.id, handleReportRequest: { status: 'resolved' } })}>
                  Resolve
                </button>
                <button className="btn small" onClick={() => handle({ reportId: r.id, handleReportRequest: { status: 'dismissed' } })}>
                  Dismiss
                </button>
              </>
            )}
          </li>
        ))}
      </ul>
    </div>
  );
}

function Audit() {
  const [cursor, setCursor] = useState<string | undefined>();
  const { data, isLoading } = useListAuditQuery({ limit: 50, cursor });
  if (isLoading) return <Spinner />;
  return (
    <div className="table-wrap">
      <table className="data">
        <thead>
          <tr>
            <th scope="col">When</th>
            <th scope="col">Who</th>
            <th scope="col">Action</th>
            <th scope="col">Target</th>
            <th scope="col">Detail</th>
          </tr>
        </thead>
        <tbody>
          {data?.items.map((a) => (
            <tr key={a.id}>
              <td className="small">{fullTime(a.created_at)}</td>
              <td>user {a.actor_id}</td>
              <td><code>{a.action}</code></td>
              <td>{a.target_type} {a.target_id}</td>
              <td className="small">{a.detail}</td>
            </tr>
          ))}
        </tbody>
      </table>
      {data?.items.length === 0 && <p className="muted">No administrative actions yet.</p>}
      {data?.next_cursor && (
        <button className="btn" onClick={() => setCursor(data.next_cursor ?? undefined)}>
          Older
        </button>
      )}
    </div>
  );
}
