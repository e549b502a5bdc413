import { useState } from 'react';
import { useNavigate, useParams } from 'react-router';
import { useAcceptInviteMutation, useGetInviteQuery } from '../api/generated';
import { EmptyState, PageHeader, Spinner } from '../components/ui';
import { errorMessage } from '../lib/errors';

export function InvitePage() {
  const code = useParams().code ?? '';
  const { data, error, isLoading } = useGetInviteQuery({ code });
  const [accept, { isLoading: accepting }] = useAcceptInviteMutation();
  const [acceptError, setAcceptError] = useState<string | null>(null);
  const navigate = useNavigate();
  if (isLoading) return <Spinner label="Loading invitation" />;
  if (error || !data)
    return (
      <div className="page">
        <PageHeader title="Invitation" />
        <EmptyState title="This invitation is not valid">
          <p>{errorMessage(error, 'It may have expired or been used up.')}</p>
        </EmptyState>
      </div>
    );
  const target = data.room ? `the room “${data.room.title}”` : data.org ? `the organisation “${data.org.name}”` : 'Parley';
  return (
    <div className="page">
      <PageHeader title="Invitation" />
      <div className="page-body narrow">
        <div className="card column">
          <p className="lead">
            <strong>{data.inviter.display_name}</strong> invites you to join {target}.
          </p>
          {data.room?.description && <p className="muted">{data.room.description}</p>}
          {acceptError && <div role="alert" className="form-error">{acceptError}</div>}
          <div className="row">
            <button
              className="btn primary"
              disabled={accepting}
              onClick={async () => {
                try {
                  const res = await accept({ code }).unwrap();
                  if (res.room) navigate(`/rooms/${res.room.id}`);
                  else if (res.org) navigate(`/orgs/${res.org.id}`);
                  else navigate('/');
                } catch (e) {
                  setAcceptError(errorMessage(e));
                }
              }}
            >
              Accept invitation
            </button>
            <button className="btn" onClick={() => navigate('/')}>
              Not now
            </button>
          </div>
        </div>
      </div>
    </div>
  );
}
