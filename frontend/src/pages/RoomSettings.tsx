import { PageHeader } from '../components/ui';

export function RoomSettings() {
  return (
    <div className="page">
      <PageHeader title="RoomSettings" />
    </div>
  );
}
