import { PageHeader } from '../components/ui';

export function SettingsPage() {
  return (
    <div className="page">
      <PageHeader title="SettingsPage" />
    </div>
  );
}
