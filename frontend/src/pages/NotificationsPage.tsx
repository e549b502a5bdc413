import { PageHeader } from '../components/ui';

export function NotificationsPage() {
  return (
    <div className="page">
      <PageHeader title="NotificationsPage" />
    </div>
  );
}
