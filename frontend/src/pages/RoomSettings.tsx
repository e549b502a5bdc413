import { useState, type FormEvent } from 'react';
import { Link, useNavigate, useParams } from 'react-router';
import {
  useAddRoomMemberMutation,
  useBanRoomMemberMutation,
  useClearRoomMutation,
  useCreateRoomInviteMutation,
  useDeleteRoomMutation,
  useGetRoomQuery,
  useListRoomBansQuery,
  useListRoomInvitesQuery,
  useListRoomMembersQuery,
  useRemoveRoomMemberMutation,
  useTransferRoomMutation,
  useUnbanRoomMemberMutation,
  useUpdateMembershipMutation,
  useUpdateRoomMemberMutation,
  useUpdateRoomMutation,
  type Member,
} from '../api/generated';
import { useAppDispatch, useAppSelector } from '../store';
import { loadLatest } from '../store/thunks';
import { Tabs } from '../components/Tabs';
import { InvitesPanel } from '../components/Invites';
import { UserPicker } from '../components/Dialogs';
import { Avatar, Modal, PageHeader, PresenceDot, Spinner } from '../components/ui';
import { errorMessage } from '../lib/errors';

const TABS = ['General', 'Members', 'Invites', 'Bans', 'Notifications'] as const;
type Tab = (typeof TABS)[number];

export function RoomSettings() {
  const roomId = Number(useParams().roomId);
  const { data: room, isLoading, error } = useGetRoomQuery({ roomId });
  const [tab, setTab] = useState<Tab>('General');
  if (isLoading) return <Spinner />;
  if (error || !room) return <PageHeader title="Room not found" />;
  const role = room.membership?.role ?? null;
  const isAdmin = role === 'owner' || role === 'admin';
  const tabs = isAdmin ? TABS : (['Members', 'Notifications'] as const);
  const current = (tabs as readonly Tab[]).includes(tab) ? tab : tabs[0]!;
  return (
    <div className="page">
      <PageHeader title={`Settings: ${room.title || 'direct chat'}`}>
        <Link className="btn small" to={`/rooms/${roomId}`}>
          Back to the room
        </Link>
      </PageHeader>
      <div className="page-body">
        <Tabs tabs={tabs as readonly Tab[]} value={current} onChange={setTab} label="Room settings">
          {current === 'General' && <General roomId={roomId} isOwner={role === 'owner'} />}
          {current === 'Members' && <Members roomId={roomId} role={role} />}
          {current === 'Invites' && <RoomInvites roomId={roomId} />}
          {current === 'Bans' && <Bans roomId={roomId} />}
          {current === 'Notifications' && <MyMembership roomId={roomId} notify={room.membership?.notify ?? null} />}
        </Tabs>
      </div>
    </div>
  );
}

function General({ roomId, isOwner }: { roomId: number; isOwner: boolean }) {
  const { data: room } = useGetRoomQuery({ roomId });
  const [update, { isLoading }] = useUpdateRoomMutation();
  const [del] = useDeleteRoomMutation();
  const [confirm, setConfirm] = useState(false);
  const [msg, setMsg] = useState<string | null>(null);
  const [error, setError] = useState<string | null>(null);
  const navigate = useNavigate();
  if (!room) return null;
  async function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    setMsg(null);
    setError(null);
    try {
      await update({
        roomId,
        updateRoomRequest: {
          title: String(f.get('title')).trim(),
          description: String(f.get('description')),
          visibility: String(f.get('visibility')),
        },
      }).unwrap();
      setMsg('Saved.');
    } catch (err) {
      setError(errorMessage(err));
    }
  }
  return (
    <>
      <form className="section" onSubmit={submit} aria-label="Room details">
        <div className="field">
          <label htmlFor="rs-title">Name</label>
          <input id="rs-title" name="title" defaultValue={room.title} maxLength={100} required />
        </div>
        <div className="field">
          <label htmlFor="rs-desc">Description</label>
          <textarea id="rs-desc" name="description" defaultValue={room.description} maxLength={1000} rows={3} />
        </div>
        {room.kind !== 'direct' && (
          <div className="field">
            <label htmlFor="rs-vis">Visibility</label>
            <select id="rs-vis" name="visibility" defaultValue={room.visibility}>
              <option value="public">Public</option>
              <option value="private">Private</option>
            </select>
          </div>
        )}
        {error && <div className="form-error" role="alert">{error}</div>}
        {msg && <div className="ok-msg" role="status">{msg}</div>}
        <button className="btn primary" disabled={isLoading}>
          Save
        </button>
      </form>
      {isOwner && (
        <div className="section">
          <h2>Danger zone</h2>
          <button className="btn danger" onClick={() => setConfirm(true)}>
            Delete this room
          </button>
        </div>
      )}
      {confirm && (
        <Modal title="Delete the room?" onClose={() => setConfirm(false)}>
          <p>Every message is gone for everyone. This cannot be undone.</p>
          <div className="row end">
            <button className="btn" onClick={() => setConfirm(false)}>
              Cancel
            </button>
            <button
              className="btn danger"
              onClick={async () => {
                await del({ roomId }).unwrap().catch(() => undefined);
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

function Members({ roomId, role }: { roomId: number; role: string | null }) {
  const [cursor, setCursor] = useState<string | undefined>();
  const { data, isLoading } = useListRoomMembersQuery({ roomId, limit: 100, cursor });
  const presence = useAppSelector((s) => s.chat.presence);
  const me = useAppSelector((s) => s.session.user?.id);
  const [setRole] = useUpdateRoomMemberMutation();
  const [kick] = useRemoveRoomMemberMutation();
  const [ban] = useBanRoomMemberMutation();
  const [transfer] = useTransferRoomMutation();
  const [add] = useAddRoomMemberMutation();
  const [adding, setAdding] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const isAdmin = role === 'owner' || role === 'admin';
  const act = (p: Promise<unknown>) => p.catch((e) => setError(errorMessage(e)));
  if (isLoading) return <Spinner />;
  const canManage = (m: Member) => isAdmin && m.user.id !== me && m.role !== 'owner' && (role === 'owner' || m.role === 'member');
  return (
    <div className="section">
      <div className="row" style={{ justifyContent: 'space-between' }}>
        <h2>{data?.items.length ?? 0} members</h2>
        {isAdmin && (
          <button className="btn small" onClick={() => setAdding(true)}>
            Add people
          </button>
        )}
      </div>
      {error && <div className="form-error" role="alert">{error}</div>}
      <ul className="card-list" aria-label="Members">
        {data?.items.map((m) => {
          const online = presence[m.user.id] ?? !!m.user.online;
          return (
            <li key={m.user.id} className="card">
              <Avatar name={m.user.display_name} id={m.user.id} size={30} />
              <div className="card-main">
                <span className="strong">
                  {m.user.display_name} <PresenceDot online={online} />
                </span>
                <span className="muted small">
                  @{m.user.username} · {m.role}
                </span>
              </div>
              {canManage(m) && (
                <>
                  <label className="sr-only" htmlFor={`role-${m.user.id}`}>
                    Role of {m.user.display_name}
                  </label>
                  <select
                    id={`role-${m.user.id}`}
                    value={m.role}
                    onChange={(e) => act(setRole({ roomId, userId: m.user.id, roleRequest: { role: e.target.value } }).unwrap())}
                  >
                    <option value="member">member</option>
                    <option value="admin">admin</option>
                  </select>
                  <button className="btn small" onClick={() => act(kick({ roomId, userId: m.user.id }).unwrap())}>
                    Remove
                  </button>
                  <button className="btn small danger" onClick={() => act(ban({ roomId, banRequest: { user_id: m.user.id } }).unwrap())}>
                    Ban
                  </button>
                </>
              )}
              {role === 'owner' && m.user.id !== me && (
                <button className="btn small" onClick={() => act(transfer({ roomId, userIdRequest: { user_id: m.user.id } }).unwrap())}>
                  Make owner
                </button>
              )}
            </li>
          );
        })}
      </ul>
      {data?.next_cursor && (
        <button className="btn" onClick={() => setCursor(data.next_cursor ?? undefined)}>
          More
        </button>
      )}
      {adding && (
        <Modal title="Add people" onClose={() => setAdding(false)}>
          <UserPicker
            exclude={data?.items.map((m) => m.user.id)}
            onPick={async (id) => {
              await act(add({ roomId, userIdRequest: { user_id: id } }).unwrap());
              setAdding(false);
            }}
          />
        </Modal>
      )}
    </div>
  );
}

function RoomInvites({ roomId }: { roomId: number }) {
  const { data } = useListRoomInvitesQuery({ roomId });
  const [create] = useCreateRoomInviteMutation();
  return <InvitesPanel invites={data?.items} create={(req) => create({ roomId, createInviteRequest: req }).unwrap()} />;
}

function Bans({ roomId }: { roomId: number }) {
  const { data, isLoading } = useListRoomBansQuery({ roomId });
  const [unban] = useUnbanRoomMemberMutation();
  if (isLoading) return <Spinner />;
  return (
    <div className="section">
      {data?.items.length === 0 && <p className="muted">Nobody is banned.</p>}
      <ul className="card-list" aria-label="Banned people">
        {data?.items.map((b) => (
          <li key={b.user.id} className="card">
            <div className="card-main">
              <span className="strong">{b.user.display_name}</span>
              <span className="muted small">{b.reason || 'no reason given'}</span>
            </div>
            <button className="btn small" onClick={() => unban({ roomId, userId: b.user.id })}>
              Unban
            </button>
          </li>
        ))}
      </ul>
    </div>
  );
}

function MyMembership({ roomId, notify }: { roomId: number; notify: string | null }) {
  const [update, { isSuccess }] = useUpdateMembershipMutation();
  const [clear, clearState] = useClearRoomMutation();
  const dispatch = useAppDispatch();
  return (
    <div className="section">
      <fieldset className="field">
        <legend>Notify me about</legend>
        {[
          ['', 'The default (everything in small rooms, mentions in big ones)'],
          ['all', 'Every mention, @here and @room'],
          ['mentions', 'Only @mentions of me'],
          ['none', 'Nothing (muted)'],
        ].map(([v, label]) => (
          <label className="radio" key={v}>
            <input
              type="radio"
              name="notify"
              value={v}
              defaultChecked={(notify ?? '') === v}
              onChange={() => update({ roomId, membershipRequest: { notify: v || null } })}
            />
            {label}
          </label>
        ))}
      </fieldset>
      {isSuccess && <p className="ok-msg" role="status">Saved.</p>}
      <h2>Clear history</h2>
      <p className="muted">Hide every message so far, for you only. Others keep theirs.</p>
      <button
        className="btn"
        disabled={clearState.isLoading}
        onClick={async () => {
          await clear({ roomId }).unwrap().catch(() => undefined);
          dispatch(loadLatest(roomId, { reset: true })).catch(() => undefined);
        }}
      >
        Clear my history
      </button>
      {clearState.isSuccess && <p className="ok-msg" role="status">History cleared.</p>}
    </div>
  );
}
