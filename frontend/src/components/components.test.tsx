import { describe, expect, it } from 'vitest';
import { act, render, screen } from '@testing-library/react';
import { Provider } from 'react-redux';
import { MemoryRouter } from 'react-router';
import { Markdown, linkMentions } from './chat/Markdown';
import { mentionQuery, mentionSuggestions } from './chat/Composer';
import { MessageList, seenByMap } from './chat/MessageList';
import { typingText, TypingIndicator } from './chat/TypingIndicator';
import { makeStore } from '../store';
import { chatActions } from '../store/chatSlice';
import { Login } from '../pages/auth/Login';
import type { Member } from '../api/generated';
import { message } from '../test/fixtures';

describe('Markdown', () => {
  it('renders markdown and strips dangerous HTML', () => {
    const { container } = render(<Markdown text={'**bold** <img src=x onerror="alert(1)"> <script>alert(1)</script> [x](javascript:alert(1))'} />);
    expect(container.querySelector('strong')?.textContent).toBe('bold');
    expect(container.querySelector('script')).toBeNull();
    expect(container.innerHTML).not.toContain('onerror');
    expect(container.innerHTML).not.toContain('javascript:');
  });

  it('highlights mentions outside code', () => {
    expect(linkMentions('hi @bob and `@notme`')).toBe('hi [@bob](#mention-bob) and `@notme`');
    const { container } = render(<Markdown text="hey @alice" />);
    expect(container.querySelector('.mention')?.textContent).toBe('@alice');
  });
});

describe('mention autocomplete', () => {
  const member = (id: number, username: string, display: string): Member => ({
    joined_at: '',
    last_read_seq: 0,
    role: 'member',
    user: { id, username, display_name: display, bio: '', created_at: '' },
  });
  it('finds the @word at the caret', () => {
    expect(mentionQuery('hello @bo', 9)).toEqual({ start: 6, query: 'bo' });
    expect(mentionQuery('mail a@b', 8)).toBeNull();
  });
  it('suggests members, never the writer, plus @here/@room', () => {
    const members = [member(1, 'alice', 'Alice'), member(2, 'bob', 'Bob B'), member(3, 'bert', 'Bert')];
    expect(mentionSuggestions(members, 'b', 1).map((s) => s.username)).toEqual(['bob', 'bert']);
    expect(mentionSuggestions(members, 'h', 1).map((s) => s.username)).toEqual(['here']);
  });
});

describe('seen by', () => {
  const msgs = [
    { seq: 1, author: { id: 1 } },
    { seq: 2, author: { id: 2 } },
    { seq: 4, author: { id: 1 } },
  ];
  it('puts each reader under the last message they read, skipping their own', () => {
    const names = new Map([[2, 'Bob'], [3, 'Carol']]);
    const map = seenByMap(msgs, { 1: 4, 2: 3, 3: 4 }, names, 1);
    expect(map.get(4)).toEqual(['Carol']);
    expect(map.get(1)).toEqual(['Bob']);
  });
});

describe('typing indicator', () => {
  it('names who is typing', () => {
    expect(typingText(['Bob'])).toBe('Bob is typing…');
    expect(typingText(['Bob', 'Carol'])).toBe('Bob and Carol are typing…');
    expect(typingText(['a', 'b', 'c'])).toBe('Several people are typing…');
  });
  it('shows live typing from the store', () => {
    const store = makeStore();
    store.dispatch(chatActions.typingSeen({ roomId: 1, userId: 2, now: Date.now() }));
    render(
      <Provider store={store}>
        <TypingIndicator roomId={1} names={new Map([[2, 'Bob']])} />
      </Provider>,
    );
    expect(screen.getByTestId('typing')).toHaveTextContent('Bob is typing…');
  });
});

describe('Login page', () => {
  it('has labelled fields and links', () => {
    render(
      <Provider store={makeStore()}>
        <MemoryRouter>
          <Login />
        </MemoryRouter>
      </Provider>,
    );
    expect(screen.getByLabelText('Username or email')).toBeInTheDocument();
    expect(screen.getByLabelText('Password')).toBeInTheDocument();
    expect(screen.getByRole('link', { name: 'Create an account' })).toHaveAttribute('href', '/register');
  });
});

describe('jump to a message', () => {
  const m = (seq: number) => message(seq);

  it('focuses the message once, and leaves the focus alone as the room changes', () => {
    Element.prototype.scrollIntoView = () => undefined; // not in jsdom
    const store = makeStore();
    store.dispatch(chatActions.roomLoading({ roomId: 1 }));
    store.dispatch(chatActions.pageLoaded({ roomId: 1, mode: 'latest', items: [m(1), m(2)], hasOlder: false, hasNewer: false }));
    render(
      <Provider store={store}>
        <MemoryRouter>
          <input aria-label="Elsewhere" />
          <MessageList roomId={1} meId={9} members={[]} canModerate={false} highlightSeq={1} onOpenThread={() => undefined} onAtBottom={() => undefined} />
        </MemoryRouter>
      </Provider>,
    );
    expect(document.activeElement?.id).toBe('msg-1');
    const elsewhere = screen.getByLabelText('Elsewhere');
    elsewhere.focus();
    act(() => {
      store.dispatch(chatActions.messageUpserted({ message: m(3), live: true }));
      store.dispatch(chatActions.readSeen({ roomId: 1, userId: 2, seq: 3 }));
    });
    expect(screen.getByText('m3')).toBeTruthy();
    expect(document.activeElement).toBe(elsewhere);
  });
});
