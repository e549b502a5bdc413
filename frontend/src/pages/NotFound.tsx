import { Link } from 'react-router';
import { EmptyState, PageHeader } from '../components/ui';

export function NotFound() {
  return (
    <div className="page">
      <PageHeader title="Not found" />
      <EmptyState title="There is nothing here">
        <Link to="/">Back home</Link>
      </EmptyState>
    </div>
  );
}
