import { useCallback, useEffect, useMemo, useRef, useState } from 'react';
import { Link, useNavigate, useParams, useSearchParams } from 'react-router';
import {
  useGetRoomQuery,
  useJoinRoomMutation,
  useLeaveRoomMutation,
  useListPinsQuery,
  useListRoomMembersQuery,
  useUnpinMessageMutation,
} from '../api/generated';
import { useAppDispatch, useAppSelector } from '../store';
import { roomsActions } from '../store/roomsSlice';
import { chatActions } from '../store/chatSlice';
import { loadAround, loadLatest, loadReads } from '../store/thunks';
import { sendRead } from '../realtime/client';
import { MessageList } from '../components/chat/MessageList';
import { Composer } from '../components/chat/Composer';
import { TypingIndicator } from '../components/chat/TypingIndicator';
import { ThreadPanel } from '../components/chat/ThreadPanel';
import { EmptyState, MenuButton, Modal, PresenceDot, Spinner } from '../components/ui';
import { errorMessage } from '../lib/errors';
import { Markdown } from '../components/chat/Markdown';
import { Icon } from '../components/Icon';

export function RoomPage() {
  const roomId = Number(useParams().roomId);
  const [params, setParams] = useSearchParams();
  const highlight = params.get('msg') ? Number(params.get('msg')) : null;
  const threadSeq = params.get('thread') ? Number(params.get('thread')) : null;
  const dispatch = useAppDispatch();
  const navigate = useNavigate();
  const me = useAppSelector((s) => s.session.user);
  const listItem = useAppSelector((s) => s.rooms.byId[roomId]);
  const win = useAppSelector((s) => s.chat.rooms[roomId]);
  const reconnects = useAppSelector((s) => s.session.reconnects);
  const { data: room, error: roomError, isLoading } = useGetRoomQuery({ roomId }, { skip: !Number.isFinite(roomId) });
  const isMember = !!listItem || !!room?.membership;
  const { data: memberPage } = useListRoomMembersQuery({ roomId, limit: 100 }, { skip: !room });
  const members = useMemo(() => memberPage?.items ?? [], [memberPage]);
  const peerId = room?.kind === 'direct' && room.member_count === 2 ? members.find((m) => m.user.id !== me?.id)?.user.id : undefined;
  const peerOnline = useAppSelector((s) => (peerId ? !!s.chat.presence[peerId] : false));
  const names = useMemo(() => new Map(members.map((m) => [m.user.id, m.user.display_name || m.user.username])), [members]);
  const [join, joinState] = useJoinRoomMutation();
  const [leave] = useLeaveRoomMutation();
  const [showPins, setShowPins] = useState(false);
  const atBottom = useRef(true);
  const lastReadSent = useRef(0);
  const role = listItem?.membership.role ?? room?.membership?.role ?? null;
  const canModerate = role === 'owner' || role === 'admin';

  useEffect(() => {
    dispatch(roomsActions.activeRoomChanged(roomId));
    return () => {
      dispatch(roomsActions.activeRoomChanged(null));
    };
  }, [dispatch, roomId]);

  useEffect(() => {
    if (members.length) dispatch(chatActions.presenceLoaded(members.map((m) => ({ userId: m.user.id, online: !!m.user.online }))));
  }, [members, dispatch]);

  // Load (or jump).
  useEffect(() => {
    if (!Number.isFinite(roomId)) return;
    if (highlight) dispatch(loadAround(roomId, highlight)).catch(() => undefined);
    else dispatch(loadLatest(roomId)).catch(() => undefined);
    lastReadSent.current = 0;
  }, [roomId, highlight, dispatch]);

  useEffect(() => {
    if (isMember) dispatch(loadReads(roomId)).catch(() => undefined);
  }, [roomId, isMember, reconnects, dispatch]);

  // Mark read when the newest message is on screen.
  const lastSeq = win && !win.hasNewer && win.seqs.length ? win.seqs[win.seqs.length - 1]! : 0;
  const markRead = useCallback(() => {
    if (!isMember || !lastSeq || document.visibilityState !== 'visible' || !atBottom.current) return;
    if (lastSeq <= lastReadSent.current) return;
    if (sendRead(roomId, lastSeq)) {
      lastReadSent.current = lastSeq;
      dispatch(roomsActions.markedRead({ roomId, seq: lastSeq }));
    }
  }, [isMember, lastSeq, roomId, dispatch]);
  const connection = useAppSelector((s) => s.session.connection);
  useEffect(() => {
    markRead();
  }, [markRead, connection]);
  useEffect(() => {
    const onVis = () => markRead();
    document.addEventListener('visibilitychange', onVis);
    window.addEventListener('focus', onVis);
    return () => {
      document.removeEventListener('visibilitychange', onVis);
      window.removeEventListener('focus', onVis);
    };
  }, [markRead]);

  // Removed from the room while looking at it (kicked, banned, deleted, left elsewhere).
  const memberOf = useRef<number | null>(null);
  useEffect(() => {
    if (listItem) memberOf.current = roomId;
    else if (memberOf.current === roomId) {
      memberOf.current = null;
      navigate('/', { replace: true });
    }
  }, [listItem, roomId, navigate]);

  const openThread = useCallback(
    (seq: number) => {
      const next = new URLSearchParams(params);
      next.set('thread', String(seq));
      setParams(next);
    },
    [params, setParams],
  );
  const closeThread = () => {
    const next = new URLSearchParams(params);
    next.delete('thread');
    setParams(next);
  };
  const onAtBottom = useCallback(
    (b: boolean) => {
      atBottom.current = b;
      if (b) markRead();
    },
    [markRead],
  );

  if (!Number.isFinite(roomId)) return <EmptyState title="No such room" />;
  if (isLoading) return <Spinner label="Loading room" />;
  if (roomError)
    return (
      <EmptyState title="This room is not available">
        <p>{errorMessage(roomError, 'It may have been deleted, or you are not a member.')}</p>
        <Link to="/discover">Discover rooms</Link>
      </EmptyState>
    );
  if (!room || !me) return <Spinner />;

  const title = listItem?.title || room.title || 'Direct chat';
  const direct = room.kind === 'direct';

  return (
    <div className={`room ${threadSeq ? 'with-thread' : ''}`}>
      <section className="room-main" aria-label={`Room ${title}`}>
        <header className="room-head">
          <MenuButton />
          <div className="room-title">
            <h1>
              <span aria-hidden="true" className="title-icon">{direct ? '@' : <Icon name={room.visibility === 'private' ? 'lock' : 'hash'} />}</span> {title}
              {peerId !== undefined && (
                <>
                  {' '}
                  <PresenceDot online={peerOnline} />
                </>
              )}
            </h1>
            {room.description && <p className="muted small room-desc">{room.description}</p>}
          </div>
          <div className="room-actions">
            <span className="muted small" aria-label={`${room.member_count} members`}>
              <Icon name="users" /> {room.member_count}
            </span>
            <button className="icon-btn" aria-label="Pinned messages" onClick={() => setShowPins(true)}>
              <Icon name="pin" />
            </button>
            {isMember && (
              <Link className="icon-btn" to={`/rooms/${roomId}/settings`} aria-label="Room settings">
                <Icon name="settings" />
              </Link>
            )}
            {isMember && !direct && role !== 'owner' && (
              <button
                className="btn small"
                onClick={async () => {
                  await leave({ roomId }).unwrap().catch(() => undefined);
                  dispatch(roomsActions.roomRemoved(roomId));
                  navigate('/');
                }}
              >
                Leave
              </button>
            )}
          </div>
        </header>
        <MessageList
          key={roomId}
          roomId={roomId}
          meId={me.id}
          members={members}
          canModerate={canModerate}
          highlightSeq={highlight}
          onOpenThread={openThread}
          onAtBottom={onAtBottom}
          onJumpLatest={() => {
            const next = new URLSearchParams(params);
            next.delete('msg');
            setParams(next);
            if (!highlight) dispatch(loadLatest(roomId)).catch(() => undefined);
          }}
        />
        <TypingIndicator roomId={roomId} names={names} />
        {isMember ? (
          <Composer key={roomId} roomId={roomId} members={members} meId={me.id} placeholder={`Message ${direct ? title : `#${title}`}`} />
        ) : (
          <div className="join-bar">
            <span>You are previewing this room.</span>
            <button
              className="btn primary"
              disabled={joinState.isLoading}
              onClick={async () => {
                try {
                  await join({ roomId }).unwrap();
                  dispatch(loadLatest(roomId)).catch(() => undefined);
                } catch {
                  /* shown below */
                }
              }}
            >
              Join room
            </button>
            {joinState.error && <span className="form-error">{errorMessage(joinState.error)}</span>}
          </div>
        )}
      </section>
      {threadSeq && (
        <ThreadPanel
          roomId={roomId}
          rootSeq={threadSeq}
          meId={me.id}
          members={members}
          canModerate={canModerate}
          canPost={isMember}
          onClose={closeThread}
        />
      )}
      {showPins && <PinsDialog roomId={roomId} canUnpin={canModerate} onClose={() => setShowPins(false)} />}
    </div>
  );
}

function PinsDialog({ roomId, canUnpin, onClose }: { roomId: number; canUnpin: boolean; onClose: () => void }) {
  const { data, isLoading } = useListPinsQuery({ roomId });
  const [unpin] = useUnpinMessageMutation();
  const navigate = useNavigate();
  return (
    <Modal title="Pinned messages" onClose={onClose}>
      {isLoading && <Spinner />}
      {data?.items.length === 0 && <p className="muted">Nothing pinned yet.</p>}
      <ul className="plain-list">
        {data?.items.map((m) => (
          <li key={m.seq}>
            <button
              className="result"
              onClick={() => {
                onClose();
                navigate(`/rooms/${roomId}?msg=${m.seq}`);
              }}
            >
              <strong>{m.author.display_name}</strong>
              <Markdown text={m.body} />
            </button>
            {canUnpin && (
              <button className="link-btn small" onClick={() => unpin({ roomId, seq: m.seq })}>
                Unpin
              </button>
            )}
          </li>
        ))}
      </ul>
    </Modal>
  );
}
