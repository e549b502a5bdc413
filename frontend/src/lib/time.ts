import { format, formatDistanceToNowStrict, isSameDay, isToday, isYesterday } from 'date-fns';

export function timeOfDay(iso: string) {
  return format(new Date(iso), 'HH:mm');
}

export function fullTime(iso: string) {
  return format(new Date(iso), 'PPpp');
}

export function dayLabel(iso: string) {
  const d = new Date(iso);
  if (isToday(d)) return 'Today';
  if (isYesterday(d)) return 'Yesterday';
  return format(d, 'EEEE, d MMMM yyyy');
}

export function sameDay(a: string, b: string) {
  return isSameDay(new Date(a), new Date(b));
}

export function ago(iso: string) {
  return `${formatDistanceToNowStrict(new Date(iso))} ago`;
}
