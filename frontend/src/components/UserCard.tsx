import { useState } from 'react';
import { useNavigate } from 'react-router';
import { useBlockUserMutation, useGetUserQuery, useOpenDirectRoomMutation } from '../api/generated';
import { useAppSelector } from '../store';
import { errorMessage } from '../lib/errors';
import { Avatar, Modal, PresenceDot, Spinner } from './ui';
import { ReportDialog } from './chat/MessageItem';

/** Someone's profile: message them, block or report them. */
export function UserCard({ userId, onClose }: { userId: number; onClose: () => void }) {
  const { data: user, isLoading } = useGetUserQuery({ userId });
  const me = useAppSelector((s) => s.session.user?.id);
  const live = useAppSelector((s) => s.chat.presence[userId]);
  const [openDm] = useOpenDirectRoomMutation();
  const [block, blockState] = useBlockUserMutation();
  const [reporting, setReporting] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const navigate = useNavigate();
  const online = live ?? !!user?.online;
  return (
    <Modal title={user?.display_name ?? 'Profile'} onClose={onClose}>
      {isLoading && <Spinner />}
      {user && (
        <div className="stack">
          <div className="row">
            <Avatar name={user.display_name || user.username} id={user.id} size={48} url={user.avatar_url} />
            <div>
              <div className="strong">
                {user.display_name} <PresenceDot online={online} />
              </div>
              <div className="muted">@{user.username}</div>
            </div>
          </div>
          {user.bio && <p>{user.bio}</p>}
          {error && <div className="form-error" role="alert">{error}</div>}
          {blockState.isSuccess && <div className="ok-msg" role="status">Blocked. You can undo this in Settings.</div>}
          {user.id !== me && (
            <div className="row">
              <button
                className="btn primary"
                onClick={async () => {
                  try {
                    const room = await openDm({ directRequest: { user_id: user.id } }).unwrap();
                    onClose();
                    navigate(`/rooms/${room.id}`);
                  } catch (e) {
                    setError(errorMessage(e));
                  }
                }}
              >
                Message
              </button>
              <button className="btn" disabled={blockState.isLoading || blockState.isSuccess} onClick={() => block({ userId: user.id })}>
                Block
              </button>
              <button className="btn" onClick={() => setReporting(true)}>
                Report
              </button>
            </div>
          )}
        </div>
      )}
      {reporting && <ReportDialog userId={userId} onClose={() => setReporting(false)} />}
    </Modal>
  );
}
