import type { DataSource } from 'typeorm';
import type { DataTrailRecorder } from '../../trails/data/data-trail.recorder';
import { DataTrailSubscriber } from './data-trail.subscriber';
import { type RawSqlPolicy, attachRawSqlGuard } from './raw-sql.guard';
import { attachStatementCapture } from './statement-capture';

/**
 * Attaches ORM capture to one DataSource: statement capture on the query builders, the subscriber
 * that writes a transaction's rows at its commit, and the raw-SQL guard. Returns the function that
 * takes all three off again, leaving TypeORM as it was.
 */
export function attachTypeOrmCapture(
  dataSource: DataSource,
  recorder: DataTrailRecorder,
  rawSql: RawSqlPolicy,
): () => void {
  const subscriber = new DataTrailSubscriber(recorder);
  dataSource.subscribers.push(subscriber);
  const detachStatements = attachStatementCapture(dataSource, recorder);
  let tables: ReadonlySet<string> | undefined;
  const audited = () =>
    (tables ??= new Set(
      dataSource.entityMetadatas
        .filter((metadata) => recorder.audits(metadata))
        .map((metadata) => metadata.tableName.toLowerCase()),
    ));
  const detachGuard = attachRawSqlGuard(dataSource, rawSql, audited);
  return () => {
    detachGuard();
    detachStatements();
    const index = dataSource.subscribers.indexOf(subscriber);
    if (index >= 0) dataSource.subscribers.splice(index, 1);
  };
}
