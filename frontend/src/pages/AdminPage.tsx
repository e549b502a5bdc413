import { PageHeader } from '../components/ui';

export function AdminPage() {
  return (
    <div className="page">
      <PageHeader title="AdminPage" />
    </div>
  );
}
