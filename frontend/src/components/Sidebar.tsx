import { useEffect, useState, type FormEvent } from 'react';
import { Link, NavLink, useNavigate } from 'react-router';
import { useListOrgsQuery, useListRoomMembersQuery, type RoomListItem } from '../api/generated';
import { useAppDispatch, useAppSelector } from '../store';
import { sortRooms } from '../store/roomsSlice';
import { chatActions } from '../store/chatSlice';
import { signOut } from '../auth/useAuth';
import { Avatar } from './ui';
import { Icon } from './Icon';
import { ConnectionDot } from './ConnectionBanner';
import { CreateOrgDialog, CreateRoomDialog, NewDirectDialog } from './Dialogs';

function useDirectPeer(room: RoomListItem) {
  const me = useAppSelector((s) => s.session.user?.id);
  const dispatch = useAppDispatch();
  const { data } = useListRoomMembersQuery({ roomId: room.id, limit: 10 }, { skip: room.kind !== 'direct' });
  const peer = data?.items.find((m) => m.user.id !== me)?.user;
  useEffect(() => {
    if (data) dispatch(chatActions.presenceLoaded(data.items.map((m) => ({ userId: m.user.id, online: !!m.user.online }))));
  }, [data, dispatch]);
  const online = useAppSelector((s) => (peer ? !!s.chat.presence[peer.id] : false));
  return { peer, online };
}

function RoomLink({ room }: { room: RoomListItem }) {
  const { peer, online } = useDirectPeer(room);
  const unread = room.unread_count;
  const direct = room.kind === 'direct';
  const label = room.title || peer?.display_name || 'Direct chat';
  return (
    <li>
      <NavLink
        to={`/rooms/${room.id}`}
        className={({ isActive }) => `room-link ${isActive ? 'active' : ''} ${unread ? 'unread' : ''}`}
      >
        {direct ? (
          <Avatar name={label} id={peer?.id ?? room.id} size={22} online={online} />
        ) : (
          <span className="hash" aria-hidden="true">
            {room.visibility === 'private' ? <Icon name="lock" size={14} /> : <Icon name="hash" size={14} />}
          </span>
        )}
        <span className="room-name">{label}</span>
        <span className="sr-only">{`${unread ? `, ${unread} unread` : ''}${direct ? (online ? ', online' : ', offline') : ''}`}</span>
        {unread > 0 && (
          <span className="badge" aria-hidden="true" data-testid="unread-badge">
            {unread > 99 ? '99+' : unread}
          </span>
        )}
      </NavLink>
    </li>
  );
}

function Section({ title, children, action }: { title: string; children: React.ReactNode; action?: React.ReactNode }) {
  const id = `sec-${title.replace(/\W+/g, '-').toLowerCase()}`;
  return (
    <section className="side-section" aria-labelledby={id}>
      <div className="side-section-head">
        <h2 id={id}>{title}</h2>
        {action}
      </div>
      {children}
    </section>
  );
}

export function Sidebar() {
  const user = useAppSelector((s) => s.session.user);
  const byId = useAppSelector((s) => s.rooms.byId);
  const liveNotes = useAppSelector((s) => s.session.liveNotifications.length);
  const { data: orgs } = useListOrgsQuery();
  const [dialog, setDialog] = useState<null | 'room' | 'direct' | 'org'>(null);
  const navigate = useNavigate();
  const rooms = sortRooms(Object.values(byId));
  const groups = rooms.filter((r) => r.kind !== 'direct' && !r.org_id);
  const directs = rooms.filter((r) => r.kind === 'direct');

  function search(e: FormEvent<HTMLFormElement>) {
    e.preventDefault();
    const q = String(new FormData(e.currentTarget).get('q') ?? '').trim();
    if (q) navigate(`/search?q=${encodeURIComponent(q)}`);
  }

  return (
    <nav className="sidebar" aria-label="Rooms and navigation">
      <div className="side-top">
        <Link to="/" className="brand">
          <span className="brand-mark" aria-hidden="true">
            P
          </span>
          Parley
        </Link>
        <ConnectionDot />
      </div>
      <form role="search" aria-label="Quick search" onSubmit={search} className="side-search">
        <label htmlFor="side-q" className="sr-only">
          Search messages
        </label>
        <input id="side-q" name="q" type="search" placeholder="Search messages" />
      </form>
      <ul className="side-nav">
        <li>
          <NavLink to="/notifications" className="room-link">
            <Icon name="bell" /> <span className="room-name">Notifications</span>
            {liveNotes > 0 && (
              <span className="badge" aria-label={`${liveNotes} new`}>
                {liveNotes}
              </span>
            )}
          </NavLink>
        </li>
        <li>
          <NavLink to="/discover" className="room-link">
            <Icon name="compass" /> <span className="room-name">Discover rooms</span>
          </NavLink>
        </li>
        {user?.is_admin && (
          <li>
            <NavLink to="/admin" className="room-link">
              <Icon name="shield" /> <span className="room-name">Administration</span>
            </NavLink>
          </li>
        )}
      </ul>
      <div className="side-scroll">
        {orgs?.items.map((org) => (
          <Section
            key={org.id}
            title={org.name}
            action={
              <Link to={`/orgs/${org.id}`} className="icon-btn small" aria-label={`Organisation ${org.name}`}>
                <Icon name="settings" size={14} />
              </Link>
            }
          >
            <ul>
              {rooms
                .filter((r) => r.org_id === org.id)
                .map((r) => (
                  <RoomLink key={r.id} room={r} />
                ))}
            </ul>
          </Section>
        ))}
        <Section
          title="Rooms"
          action={
            <button className="icon-btn small" onClick={() => setDialog('room')} aria-label="Create a room">
              <Icon name="plus" size={14} />
            </button>
          }
        >
          <ul aria-label="Rooms">
            {groups.map((r) => (
              <RoomLink key={r.id} room={r} />
            ))}
            {groups.length === 0 && <li className="muted small pad">No rooms yet</li>}
          </ul>
        </Section>
        <Section
          title="Direct messages"
          action={
            <button className="icon-btn small" onClick={() => setDialog('direct')} aria-label="New direct message">
              <Icon name="plus" size={14} />
            </button>
          }
        >
          <ul aria-label="Direct messages">
            {directs.map((r) => (
              <RoomLink key={r.id} room={r} />
            ))}
          </ul>
        </Section>
        <div className="side-footer">
          <button className="link-btn" onClick={() => setDialog('org')}>
            <Icon name="building" size={13} /> New organisation
          </button>
        </div>
      </div>
      {user && (
        <div className="side-user">
          <Avatar name={user.display_name || user.username} id={user.id} size={30} url={user.avatar_url} />
          <div className="side-user-name">
            <div className="strong">{user.display_name || user.username}</div>
            <div className="muted small">@{user.username}</div>
          </div>
          <Link to="/settings" className="icon-btn" aria-label="Profile and settings">
            <Icon name="settings" />
          </Link>
          <button className="icon-btn" aria-label="Sign out" onClick={() => void signOut()}>
            <Icon name="logout" />
          </button>
        </div>
      )}
      {dialog === 'room' && <CreateRoomDialog onClose={() => setDialog(null)} />}
      {dialog === 'direct' && <NewDirectDialog onClose={() => setDialog(null)} />}
      {dialog === 'org' && <CreateOrgDialog onClose={() => setDialog(null)} />}
    </nav>
  );
}
