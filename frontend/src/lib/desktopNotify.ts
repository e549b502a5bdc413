/**
 * Desktop notifications for mentions and direct messages while the tab is hidden.
 * Opt-in (Settings → Profile); the choice is kept per browser.
 */
import type { Notification as ParleyNotification } from '../api/generated';

const KEY = 'parley.desktopNotifications';

export function desktopNotificationsSupported() {
  return typeof window !== 'undefined' && 'Notification' in window;
}

export function desktopNotificationsEnabled() {
  return desktopNotificationsSupported() && localStorage.getItem(KEY) === 'on' && Notification.permission === 'granted';
}

export async function setDesktopNotifications(on: boolean): Promise<boolean> {
  if (!on) {
    localStorage.removeItem(KEY);
    return false;
  }
  if (!desktopNotificationsSupported()) return false;
  const permission = Notification.permission === 'granted' ? 'granted' : await Notification.requestPermission();
  if (permission !== 'granted') return false;
  localStorage.setItem(KEY, 'on');
  return true;
}

export function notifyDesktop(n: ParleyNotification) {
  if (!desktopNotificationsEnabled() || document.visibilityState === 'visible') return;
  const who = n.actor?.display_name ?? 'Parley';
  const what = n.kind === 'mention' ? 'mentioned you' : n.kind === 'direct' ? 'sent you a message' : n.kind;
  try {
    const note = new Notification(`${who} ${what}`, { body: n.body, tag: `parley-${n.id}` });
    note.onclick = () => {
      window.focus();
      if (n.room_id) window.location.assign(n.seq ? `/rooms/${n.room_id}?msg=${n.seq}` : `/rooms/${n.room_id}`);
      note.close();
    };
  } catch {
    /* some browsers only allow notifications from a service worker */
  }
}
