import { Logger, type Provider } from '@nestjs/common';
import { getDataSourceToken } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { DataTrailRecorder } from '../trails/data/data-trail.recorder';
import { AuditStorage } from '../store/audit-storage';
import { prepareCaptureTriggers } from '../store/triggers/capture-triggers';
import { AuditContext } from '../transaction/audit-context';
import { AuditInstrumentation } from '../instrumentation/audit-instrumentation';
import { ApiTrailRecorder } from '../trails/api/api-trail.recorder';
import {
  AUDIT_API_TRAIL,
  AUDIT_DATA_TRAIL,
  AUDIT_OPTIONS,
  AUDIT_RAW_OPTIONS,
  AUDIT_STORAGE,
} from '../options/audit.tokens';
import type { AuditModuleOptions, ResolvedAuditOptions } from '../options/audit-options';
import { AuditOptionsError, resolveAuditOptions } from '../options/audit-options.validation';

/** Validates the options once; a bad one stops the application here, naming the option. */
export function optionsProvider(dataSourceName: string | undefined): Provider {
  return {
    provide: AUDIT_OPTIONS,
    useFactory: (raw: AuditModuleOptions): ResolvedAuditOptions => {
      const options = resolveAuditOptions(raw);
      if ((options.dataSource ?? undefined) !== dataSourceName) {
        throw new AuditOptionsError(
          'dataSource',
          'must be given to forRootAsync({ dataSource }) as well, so the module can wait for that DataSource',
          options.dataSource,
        );
      }
      return options;
    },
    inject: [AUDIT_RAW_OPTIONS],
  };
}

/**
 * Waits for the audited DataSource (so auditing is live before any application code runs), creates
 * the tables when `autoMigrate` is on, and attaches the subscriber and EntityManager hooks.
 */
export function storageProviders(dataSourceName: string | undefined): Provider[] {
  return [
    {
      provide: AUDIT_STORAGE,
      useFactory: async (options: ResolvedAuditOptions, dataSource: DataSource): Promise<AuditStorage> => {
        const storage = new AuditStorage(dataSource, options);
        if (options.autoMigrate) {
          await storage.migrate();
          new Logger('AuditTrail').log(`tables ready on ${storage.dialect.name} (${describeTrails(options)})`);
        }
        // dataAudit.capture 'database': install or check the triggers before anything writes.
        const triggers = await prepareCaptureTriggers(dataSource, options);
        if (triggers) new Logger('AuditTrail').log(triggers);
        return storage;
      },
      inject: [AUDIT_OPTIONS, getDataSourceToken(dataSourceName)],
    },
    {
      provide: AUDIT_DATA_TRAIL,
      useFactory: (options: ResolvedAuditOptions, storage: AuditStorage, context: AuditContext): DataTrailRecorder =>
        new DataTrailRecorder(storage.dataLogs, options.dataAudit, context, storage.dataSource),
      inject: [AUDIT_OPTIONS, AUDIT_STORAGE, AuditContext],
    },
  ];
}

/**
 * The API-trail recorder (also behind AuditService.recordApiCall) and the hooks that feed it from
 * every HttpService and the global fetch; the hooks attach nothing unless `apiAudit.enabled`.
 */
export function apiTrailProviders(): Provider[] {
  return [
    {
      provide: AUDIT_API_TRAIL,
      useFactory: (options: ResolvedAuditOptions, storage: AuditStorage, context: AuditContext): ApiTrailRecorder =>
        new ApiTrailRecorder(storage.apiLogs, storage.dataSource, options.apiAudit, context),
      inject: [AUDIT_OPTIONS, AUDIT_STORAGE, AuditContext],
    },
    AuditInstrumentation,
  ];
}

function describeTrails(options: ResolvedAuditOptions): string {
  const trails = [];
  if (options.dataAudit.enabled) trails.push(`data: ${options.dataAudit.table}`);
  if (options.apiAudit.enabled) trails.push(`api: ${options.apiAudit.table}`);
  return trails.join(', ');
}
