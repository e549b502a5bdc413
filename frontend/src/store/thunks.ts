import { parleyApi, type MessagePage } from '../api/generated';
import type { AppDispatch, RootState } from './index';
import { chatActions } from './chatSlice';
import { errorMessage } from '../lib/errors';

export const PAGE = 50;

type Thunk<T = void> = (dispatch: AppDispatch, getState: () => RootState) => Promise<T>;

async function fetchPage(
  dispatch: AppDispatch,
  args: { roomId: number; before?: number; after?: number; around?: number; limit?: number },
): Promise<MessagePage> {
  return dispatch(
    parleyApi.endpoints.listMessages.initiate({ limit: PAGE, ...args }, { subscribe: false, forceRefetch: true }),
  ).unwrap();
}

/** Open a room at its newest messages (also the reload after resync_required). */
export function loadLatest(roomId: number, opts: { reset?: boolean } = {}): Thunk {
  return async (dispatch) => {
    dispatch(chatActions.roomLoading({ roomId, reset: opts.reset }));
    try {
      const page = await fetchPage(dispatch, { roomId });
      dispatch(
        chatActions.pageLoaded({ roomId, mode: 'latest', items: page.items, hasOlder: page.has_older, hasNewer: false }),
      );
    } catch (e) {
      dispatch(chatActions.roomLoadFailed({ roomId }));
      throw new Error(errorMessage(e), { cause: e });
    }
  };
}

/** Scrolling up: the page before the oldest loaded message. */
export function loadOlder(roomId: number): Thunk<boolean> {
  return async (dispatch, getState) => {
    const win = getState().chat.rooms[roomId];
    if (!win || !win.hasOlder || win.seqs.length === 0) return false;
    const page = await fetchPage(dispatch, { roomId, before: win.seqs[0] });
    dispatch(chatActions.pageLoaded({ roomId, mode: 'before', items: page.items, hasOlder: page.has_older, hasNewer: false }));
    return page.items.length > 0;
  };
}

/** Scrolling down in a window opened around an old message. */
export function loadNewer(roomId: number): Thunk<boolean> {
  return async (dispatch, getState) => {
    const win = getState().chat.rooms[roomId];
    if (!win || !win.hasNewer || win.seqs.length === 0) return false;
    const page = await fetchPage(dispatch, { roomId, after: win.seqs[win.seqs.length - 1] });
    dispatch(
      chatActions.pageLoaded({ roomId, mode: 'after', items: page.items, hasOlder: true, hasNewer: page.has_newer }),
    );
    return page.items.length > 0;
  };
}

/** Jump to a message: a window around it. */
export function loadAround(roomId: number, seq: number): Thunk {
  return async (dispatch) => {
    dispatch(chatActions.roomLoading({ roomId }));
    const page = await fetchPage(dispatch, { roomId, around: seq });
    dispatch(
      chatActions.pageLoaded({
        roomId,
        mode: 'around',
        items: page.items,
        hasOlder: page.has_older,
        hasNewer: page.has_newer,
      }),
    );
  };
}

/** Who has read how far (for "seen by"). */
export function loadReads(roomId: number): Thunk {
  return async (dispatch) => {
    const list = await dispatch(
      parleyApi.endpoints.listReads.initiate({ roomId }, { subscribe: false, forceRefetch: true }),
    ).unwrap();
    dispatch(chatActions.readsLoaded({ roomId, reads: list.items }));
  };
}
