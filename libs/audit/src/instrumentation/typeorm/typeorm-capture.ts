import type { DataSource } from 'typeorm';
import type { AuditDialect } from '../../store/audit-dialect';
import type { DataTrailRecorder } from '../../trails/data/data-trail.recorder';
import { DataTrailSubscriber } from './data-trail.subscriber';
import { hookEntityManagers } from './entity-manager.hooks';

/**
 * Attaches ORM capture to one DataSource: the subscriber and the EntityManager hooks. Returns the
 * function that takes both off again, leaving the DataSource as it was.
 */
export function attachTypeOrmCapture(
  dataSource: DataSource,
  recorder: DataTrailRecorder,
  dialect: AuditDialect,
): () => void {
  const subscriber = new DataTrailSubscriber(recorder);
  dataSource.subscribers.push(subscriber);
  const unhookManagers = hookEntityManagers(dataSource, recorder, dialect);
  return () => {
    unhookManagers();
    const index = dataSource.subscribers.indexOf(subscriber);
    if (index >= 0) dataSource.subscribers.splice(index, 1);
  };
}
