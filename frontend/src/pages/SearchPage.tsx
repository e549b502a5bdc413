import { PageHeader } from '../components/ui';

export function SearchPage() {
  return (
    <div className="page">
      <PageHeader title="SearchPage" />
    </div>
  );
}
