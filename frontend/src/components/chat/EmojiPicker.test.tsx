import { describe, expect, it, vi } from 'vitest';
import { render, screen } from '@testing-library/react';
import userEvent from '@testing-library/user-event';
import { EmojiPicker } from './EmojiPicker';

describe('EmojiPicker', () => {
  it('searches the full emoji set and picks one', async () => {
    const onPick = vi.fn();
    render(<EmojiPicker onPick={onPick} onClose={() => {}} />);
    await screen.findByRole('group', { name: 'Animals & nature' }, { timeout: 5000 });
    await userEvent.type(screen.getByLabelText('Search emoji'), 'rocket');
    await userEvent.click(screen.getByRole('button', { name: 'rocket' }));
    expect(onPick).toHaveBeenCalledWith('🚀');
  });
});
