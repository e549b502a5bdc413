import { useState, type FormEvent } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import {
  useAddOrgMemberMutation,
  useCreateAnnouncementMutation,
  useCreateOrgInviteMutation,
  useDeleteOrgMutation,
  useGetOrgQuery,
  useListAnnouncementsQuery,
  useListOrgInvitesQuery,
  useListOrgMembersQuery,
  useRemoveOrgMemberMutation,
  useUpdateOrgMemberMutation,
  useUpdateOrgMutation,
} from '../api/generated';
import { useAppSelector } from '../store';
import { Tabs } from '../components/Tabs';
import { InvitesPanel } from '../components/Invites';
import { CreateRoomDialog, UserPicker } from '../components/Dialogs';
import { Avatar, Modal, PageHeader, Spinner } from '../components/ui';
import { Markdown } from '../components/chat/Markdown';
import { errorMessage } from '../lib/errors';
import { ago } from '../lib/time';

const TABS = ['Announcements', 'Rooms', 'Members', 'Invites', 'Settings'] as const;
type Tab = (typeof TABS)[number];

export function OrgPage() {
  const orgId = Number(useParams().orgId);
  const { data: org, isLoading, error } = useGetOrgQuery({ orgId });
  const [tab, setTab] = useState<Tab>('Announcements');
  if (isLoading) return <Spinner />;
  if (error || !org) return <PageHeader title="Organisation not found" />;
  const isAdmin = org.role === 'owner' || org.role === 'admin';
  const tabs = (isAdmin ? TABS : TABS.filter((t) => t !== 'Invites' && t !== 'Settings')) as readonly Tab[];
  return (
    <div className="page">
      <PageHeader title={org.name} />
      <div className="page-body">
        {org.description && <p className="muted">{org.description}</p>}
        <Tabs tabs={tabs} value={tabs.includes(tab) ? tab : tabs[0]!} onChange={setTab} label="Organisation">
          {tab === 'Announcements' && <Announcements orgId={orgId} canPost={isAdmin} />}
          {tab === 'Rooms' && <OrgRooms orgId={orgId} />}
          {tab === 'Members' && <OrgMembers orgId={orgId} role={org.role ?? null} />}
          {tab === 'Invites' && isAdmin && <OrgInvites orgId={orgId} />}
          {tab === 'Settings' && isAdmin && <OrgSettings orgId={orgId} isOwner={org.role === 'owner'} />}
        </Tabs>
      </div>
    </div>
  );
}

function Announcements({ orgId, canPost }: { orgId: number; canPost: boolean }) {
  const { data, isLoading } = useListAnnouncementsQuery({ orgId, limit: 30 });
  const [post, { isLoading: posting }] = useCreateAnnouncementMutation();
  const [body, setBody] = useState('');
  const [error, setError] = useState<string | null>(null);
  return (
    <div className="section">
      {canPost && (
        <form
          className="stack"
          onSubmit={async (e) => {
            e.preventDefault();
            setError(null);
            try {
              await post({ orgId, announcementRequest: { body } }).unwrap();
              setBody('');
            } catch (err) {
              setError(errorMessage(err));
            }
          }}
        >
          <div className="field">
            <label htmlFor="ann-body">New announcement (Markdown)</label>
            <textarea id="ann-body" value={body} onChange={(e) => setBody(e.target.value)} rows={3} required />
          </div>
          {error && <div className="form-error" role="alert">{error}</div>}
          <div>
            <button className="btn primary" disabled={posting || !body.trim()}>
              Announce to everyone
            </button>
          </div>
        </form>
      )}
      {isLoading && <Spinner />}
      {data?.items.length === 0 && <p className="muted">No announcements yet.</p>}
      <ul className="card-list" aria-label="Announcements">
        {data?.items.map((a) => (
          <li key={a.id} className="card column">
            <span className="small muted">
              <strong>{a.author.display_name}</strong> · {ago(a.created_at)}
            </span>
            <Markdown text={a.body} />
          </li>
        ))}
      </ul>
    </div>
  );
}

function OrgRooms({ orgId }: { orgId: number }) {
  const rooms = useAppSelector((s) => Object.values(s.rooms.byId).filter((r) => r.org_id === orgId));
  const [create, setCreate] = useState(false);
  return (
    <div className="section">
      <button className="btn primary" onClick={() => setCreate(true)}>
        Create a room in this organisation
      </button>
      <ul className="card-list" style={{ marginTop: 12 }}>
        {rooms.map((r) => (
          <li key={r.id} className="card">
            <Link to={`/rooms/${r.id}`}># {r.title}</Link>
          </li>
        ))}
      </ul>
      {create && <CreateRoomDialog orgId={orgId} onClose={() => setCreate(false)} />}
    </div>
  );
}

function OrgMembers({ orgId, role }: { orgId: number; role: string | null }) {
  const { data, isLoading } = useListOrgMembersQuery({ orgId, limit: 100 });
  const me = useAppSelector((s) => s.session.user?.id);
  const [setRole] = useUpdateOrgMemberMutation();
  const [remove] = useRemoveOrgMemberMutation();
  const [add] = useAddOrgMemberMutation();
  const [adding, setAdding] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const isAdmin = role === 'owner' || role === 'admin';
  const act = (p: Promise<unknown>) => p.catch((e) => setError(errorMessage(e)));
  if (isLoading) return <Spinner />;
  return (
    <div className="section">
      {isAdmin && (
        <button className="btn small" onClick={() => setAdding(true)}>
          Add people
        </button>
      )}
      {error && <div className="form-error" role="alert">{error}</div>}
      <ul className="card-list" aria-label="Members" style={{ marginTop: 12 }}>
        {data?.items.map((m) => (
          <li key={m.user.id} className="card">
            <Avatar name={m.user.display_name} id={m.user.id} size={30} online={!!m.user.online} />
            <div className="card-main">
              <span className="strong">{m.user.display_name}</span>
              <span className="muted small">
                @{m.user.username} · {m.role}
              </span>
            </div>
            {isAdmin && m.user.id !== me && m.role !== 'owner' && (
              <>
                <label className="sr-only" htmlFor={`orole-${m.user.id}`}>
                  Role of {m.user.display_name}
                </label>
                <select
                  id={`orole-${m.user.id}`}
                  value={m.role}
                  onChange={(e) => act(setRole({ orgId, userId: m.user.id, roleRequest: { role: e.target.value } }).unwrap())}
                >
                  <option value="member">member</option>
                  <option value="admin">admin</option>
                </select>
                <button className="btn small" onClick={() => act(remove({ orgId, userId: m.user.id }).unwrap())}>
                  Remove
                </button>
              </>
            )}
          </li>
        ))}
      </ul>
      {adding && (
        <Modal title="Add people" onClose={() => setAdding(false)}>
          <UserPicker
            exclude={data?.items.map((m) => m.user.id)}
            onPick={async (id) => {
              await act(add({ orgId, userIdRequest: { user_id: id } }).unwrap());
              setAdding(false);
            }}
          />
        </Modal>
      )}
    </div>
  );
}

function OrgInvites({ orgId }: { orgId: number }) {
  const { data } = useListOrgInvitesQuery({ orgId });
  const [create] = useCreateOrgInviteMutation();
  return <InvitesPanel invites={data?.items} create={(req) => create({ orgId, createInviteRequest: req }).unwrap()} />;
}

function OrgSettings({ orgId, isOwner }: { orgId: number; isOwner: boolean }) {
  const { data: org } = useGetOrgQuery({ orgId });
  const [update, { isLoading, isSuccess }] = useUpdateOrgMutation();
  const [del] = useDeleteOrgMutation();
  const [error, setError] = useState<string | null>(null);
  const [confirm, setConfirm] = useState(false);
  const navigate = useNavigate();
  if (!org) return null;
  async function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    setError(null);
    try {
      await update({ orgId, updateOrgRequest: { name: String(f.get('name')).trim(), description: String(f.get('description')) } }).unwrap();
    } catch (err) {
      setError(errorMessage(err));
    }
  }
  return (
    <>
      <form className="section" onSubmit={submit} aria-label="Organisation details">
        <div className="field">
          <label htmlFor="os-name">Name</label>
          <input id="os-name" name="name" defaultValue={org.name} required />
        </div>
        <div className="field">
          <label htmlFor="os-desc">Description</label>
          <textarea id="os-desc" name="description" defaultValue={org.description} rows={3} />
        </div>
        {error && <div className="form-error" role="alert">{error}</div>}
        {isSuccess && <div className="ok-msg" role="status">Saved.</div>}
        <button className="btn primary" disabled={isLoading}>
          Save
        </button>
      </form>
      {isOwner && (
        <div className="section">
          <h2>Danger zone</h2>
          <button className="btn danger" onClick={() => setConfirm(true)}>
            Delete the organisation
          </button>
        </div>
      )}
      {confirm && (
        <Modal title="Delete the organisation?" onClose={() => setConfirm(false)}>
          <p>Its rooms and announcements go with it.</p>
          <div className="row end">
            <button className="btn" onClick={() => setConfirm(false)}>
              Cancel
            </button>
            <button
              className="btn danger"
              onClick={async () => {
                await del({ orgId }).unwrap().catch(() => undefined);
                navigate('/');
              }}
            >
              Delete
            </button>
          </div>
        </Modal>
      )}
    </>
  );
}
