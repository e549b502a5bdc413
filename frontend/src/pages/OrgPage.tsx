import { PageHeader } from '../components/ui';

export function OrgPage() {
  return (
    <div className="page">
      <PageHeader title="OrgPage" />
    </div>
  );
}
