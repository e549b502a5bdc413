import { describe, expect, it } from 'vitest';
import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { Provider } from 'react-redux';
import { MemoryRouter } from 'react-router';
import { makeStore } from '../../store';
import { chatActions } from '../../store/chatSlice';
import { sessionActions } from '../../store/sessionSlice';
import { MessageItem } from './MessageItem';
import { MessageList } from './MessageList';
import type { Message } from '../../api/generated';
import { message } from '../../test/fixtures';

const msg = (over: Partial<Message> = {}): Message =>
  message(1, { room_id: 7, body: 'hello *there*', reactions: [{ emoji: '👍', count: 2, me: true }], ...over });

function wrap(ui: React.ReactNode, store = makeStore()) {
  return render(
    <Provider store={store}>
      <MemoryRouter>{ui}</MemoryRouter>
    </Provider>,
  );
}

describe('MessageItem', () => {
  it("offers edit and delete on one's own message, report on others'", () => {
    const { unmount } = wrap(<MessageItem message={msg({ author: { id: 1, username: 'me', display_name: 'Me' } })} meId={1} compact={false} />);
    expect(screen.getByRole('button', { name: 'Edit message' })).toBeInTheDocument();
    expect(screen.getByRole('button', { name: 'Delete message' })).toBeInTheDocument();
    expect(screen.queryByRole('button', { name: 'Report message' })).toBeNull();
    unmount();
    wrap(<MessageItem message={msg()} meId={1} compact={false} />);
    expect(screen.queryByRole('button', { name: 'Edit message' })).toBeNull();
    expect(screen.getByRole('button', { name: 'Report message' })).toBeInTheDocument();
    expect(screen.getByRole('button', { name: '👍 2, including you' })).toHaveAttribute('aria-pressed', 'true');
    expect(screen.getByText('there').tagName).toBe('EM');
  });

  it('shows a tombstone for a deleted message, without actions', () => {
    wrap(<MessageItem message={msg({ deleted: true, body: '' })} meId={1} compact={false} />);
    expect(screen.getByText('This message was deleted.')).toBeInTheDocument();
    expect(screen.queryByRole('toolbar')).toBeNull();
  });

  it('edits inline: Escape cancels', async () => {
    wrap(<MessageItem message={msg({ author: { id: 1, username: 'me', display_name: 'Me' } })} meId={1} compact={false} />);
    await userEvent.click(screen.getByRole('button', { name: 'Edit message' }));
    const box = screen.getByLabelText('Edit message');
    expect(box).toHaveValue('hello *there*');
    await userEvent.type(box, '{Escape}');
    expect(screen.queryByLabelText('Edit message', { selector: 'textarea' })).toBeNull();
  });
});

describe('MessageList', () => {
  it('shows loaded messages in order, hides thread replies, and shows pending sends', () => {
    const store = makeStore();
    store.dispatch(sessionActions.signedIn({ id: 1, username: 'me', display_name: 'Me', email: '', email_verified: true, is_admin: false, bio: '', created_at: '' }));
    store.dispatch(
      chatActions.pageLoaded({
        roomId: 7,
        mode: 'latest',
        items: [msg({ seq: 2, body: 'second' }), msg({ seq: 1, body: 'first', reply_count: 1 }), msg({ seq: 3, body: 'a reply', parent_seq: 1 })],
        hasOlder: false,
        hasNewer: false,
      }),
    );
    store.dispatch(chatActions.sendQueued({ clientMsgId: 'c1', roomId: 7, body: 'on its way', parentSeq: null, createdAt: '' }));
    wrap(
      <MessageList roomId={7} meId={1} members={[]} canModerate={false} highlightSeq={null} onOpenThread={() => {}} onAtBottom={() => {}} />,
      store,
    );
    const bodies = screen.getAllByTestId('msg-body').map((e) => e.textContent);
    expect(bodies).toEqual(['first', 'second', 'on its way']);
    expect(screen.getByRole('button', { name: '1 reply' })).toBeInTheDocument();
    expect(screen.getByTestId('pending')).toHaveTextContent('Sending…');
    expect(screen.getByText('This is the beginning of the room.')).toBeInTheDocument();
  });
});
