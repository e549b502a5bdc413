import { useState, type FormEvent } from 'react';
import { useNavigate } from 'react-router';
import { useCreateOrgMutation, useCreateRoomMutation, useListOrgsQuery, useOpenDirectRoomMutation, useSearchUsersQuery } from '../api/generated';
import { useAppSelector } from '../store';
import { errorMessage } from '../lib/errors';
import { Avatar, Modal } from './ui';

export function CreateRoomDialog({ onClose, orgId }: { onClose: () => void; orgId?: number }) {
  const [create, { isLoading }] = useCreateRoomMutation();
  const { data: orgs } = useListOrgsQuery();
  const [error, setError] = useState<string | null>(null);
  const navigate = useNavigate();
  async function submit(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const f = new FormData(e.currentTarget);
    setError(null);
    try {
      const org = String(f.get('org_id') ?? '');
      const room = await create({
        createRoomRequest: {
          title: String(f.get('title')).trim(),
          description: String(f.get('description') ?? '').trim() || null,
          visibility: String(f.get('visibility')),
          org_id: org ? Number(org) : null,
        },
      }).unwrap();
      onClose();
      navigate(`/rooms/${room.id}`);
    } catch (err) {
      setError(errorMessage(err, 'Could not create the room'));
    }
  }
  return (
    <Modal title="Create a room" onClose={onClose}>
      <form onSubmit={submit} className="stack" aria-label="Create a room">
        <div className="field">
          <label htmlFor="room-title">Name</label>
          <input id="room-title" name="title" required maxLength={100} autoFocus placeholder="e.g. general" />
        </div>
        <div className="field">
          <label htmlFor="room-desc">Description</label>
          <textarea id="room-desc" name="description" maxLength={1000} rows={2} />
        </div>
        <fieldset className="field">
          <legend>Who can join</legend>
          <label className="radio">
            <input type="radio" name="visibility" value="public" defaultChecked /> Public: anyone can find and join it
          </label>
          <label className="radio">
            <input type="radio" name="visibility" value="private" /> Private: by invitation only
          </label>
        </fieldset>
        {(orgs?.items.length ?? 0) > 0 && (
          <div className="field">
            <label htmlFor="room-org">Organisation</label>
            <select id="room-org" name="org_id" defaultValue={orgId ?? ''}>
              <option value="">None</option>
              {orgs?.items.map((o) => (
                <option key={o.id} value={o.id}>
                  {o.name}
                </option>
              ))}
            </select>
          </div>
        )}
        {error && <div className="form-error" role="alert">{error}</div>}
        <div className="row end">
          <button type="button" className="btn" onClick={onClose}>
            Cancel
          </button>
          <button className="btn primary" disabled={isLoading}>
            Create room
          </button>
        </div>
      </form>
    </Modal>
  );
}

export function UserPicker({ onPick, exclude = [] }: { onPick: (id: number, name: string) => void; exclude?: number[] }) {
  const [q, setQ] = useState('');
  const { data, isFetching } = useSearchUsersQuery({ q, limit: 10 }, { skip: q.trim().length < 1 });
  return (
    <div className="stack">
      <div className="field">
        <label htmlFor="user-q">Find people</label>
        <input id="user-q" value={q} onChange={(e) => setQ(e.target.value)} placeholder="Name or username" autoFocus autoComplete="off" />
      </div>
      <ul className="pick-list" aria-label="People" aria-busy={isFetching}>
        {data?.items
          .filter((u) => !exclude.includes(u.id))
          .map((u) => (
            <li key={u.id}>
              <button className="pick" onClick={() => onPick(u.id, u.display_name)}>
                <Avatar name={u.display_name || u.username} id={u.id} size={26} online={!!u.online} />
                <span>
                  {u.display_name} <span className="muted">@{u.username}</span>
                </span>
              </button>
            </li>
          ))}
        {q && data?.items.length === 0 && <li className="muted small">Nobody found</li>}
      </ul>
    </div>
  );
}

export function NewDirectDialog({ onClose }: { onClose: () => void }) {
  const [open] = useOpenDirectRoomMutation();
  const me = useAppSelector((s) => s.session.user?.id);
  const navigate = useNavigate();
  const [error, setError] = useState<string | null>(null);
  return (
    <Modal title="New direct message" onClose={onClose}>
      <UserPicker
        exclude={me ? [me] : []}
        onPick={async (id) => {
          try {
            const room = await open({ directRequest: { user_id: id } }).unwrap();
            onClose();
            navigate(`/rooms/${room.id}`);
          } catch (err) {
            setError(errorMessage(err));
          }
        }}
      />
      {error && <div className="form-error" role="alert">{error}</div>}
    </Modal>
  );
}

export function CreateOrgDialog({ onClose }: { onClose: () => void }) {
  const [create, { isLoading }] = useCreateOrgMutation();
  const [error, setError] = useState<string | null>(null);
  const navigate = useNavigate();
  return (
    <Modal title="New organisation" onClose={onClose}>
      <form
        className="stack"
        aria-label="New organisation"
        onSubmit={async (e) => {
          e.preventDefault();
          const f = new FormData(e.currentTarget);
          try {
            const org = await create({
              createOrgRequest: { name: String(f.get('name')).trim(), description: String(f.get('description') ?? '') || null },
            }).unwrap();
            onClose();
            navigate(`/orgs/${org.id}`);
          } catch (err) {
            setError(errorMessage(err));
          }
        }}
      >
        <div className="field">
          <label htmlFor="org-name">Name</label>
          <input id="org-name" name="name" required autoFocus />
        </div>
        <div className="field">
          <label htmlFor="org-desc">Description</label>
          <textarea id="org-desc" name="description" rows={2} />
        </div>
        {error && <div className="form-error" role="alert">{error}</div>}
        <div className="row end">
          <button type="button" className="btn" onClick={onClose}>
            Cancel
          </button>
          <button className="btn primary" disabled={isLoading}>
            Create
          </button>
        </div>
      </form>
    </Modal>
  );
}
