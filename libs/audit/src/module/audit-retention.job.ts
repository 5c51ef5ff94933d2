import {
  Inject,
  Injectable,
  Logger,
  type OnApplicationBootstrap,
  type OnModuleDestroy,
  type OnModuleInit,
} from '@nestjs/common';
import { ModuleRef } from '@nestjs/core';
import { AuditService } from './audit.service';
import { AUDIT_OPTIONS } from '../options/audit.tokens';
import type { ResolvedAuditOptions } from '../options/audit-options';
import { AuditOptionsError } from '../options/audit-options.validation';
import type { PurgeResult } from '../queries/purge/audit-purge';
import { type CronJobLike, type SchedulerRegistryLike, loadSchedule } from './schedule-loader';

export const SCHEDULE_MODULE_MISSING =
  'nestjs-audit-trail: retention is enabled but ScheduleModule is not imported: add ScheduleModule.forRoot() ' +
  "(from '@nestjs/schedule') to your application module's imports, or set retention.enabled to false";

/**
 * The retention job: on `retention.cron` it deletes rows older than `retention.maxAge` from each
 * enabled trail. It is registered in the application's SchedulerRegistry under `jobName`, so it shows
 * up (and can be stopped) next to the application's own jobs; the registry does not stop jobs added to
 * it by hand on shutdown, so this provider does.
 */
@Injectable()
export class AuditRetentionJob implements OnModuleInit, OnApplicationBootstrap, OnModuleDestroy {
  private readonly logger = new Logger('AuditTrail');
  private registry?: SchedulerRegistryLike;
  private job?: CronJobLike;
  private running?: Promise<PurgeResult | undefined>;

  constructor(
    @Inject(AUDIT_OPTIONS) private readonly options: ResolvedAuditOptions,
    private readonly audit: AuditService,
    private readonly moduleRef: ModuleRef,
  ) {}

  /** Name in the SchedulerRegistry; one per audited DataSource. */
  get jobName(): string {
    return `nestjs-audit-trail:retention:${this.options.dataSource ?? 'default'}`;
  }

  /** Fails start-up here, before anything runs, when the job cannot be scheduled. */
  onModuleInit(): void {
    const { enabled, cron, timeZone } = this.options.retention;
    if (!enabled) return;
    const { SchedulerRegistry, CronJob } = loadSchedule();
    try {
      this.registry = this.moduleRef.get(SchedulerRegistry, { strict: false });
    } catch {
      throw new Error(SCHEDULE_MODULE_MISSING);
    }
    try {
      this.job = new CronJob(cron, () => this.tick(), null, false, timeZone ?? null);
    } catch (error) {
      throw new AuditOptionsError(
        'retention.cron / retention.timeZone',
        `must be accepted by the cron package (${(error as Error).message})`,
        { cron, timeZone },
      );
    }
    this.registry.addCronJob(this.jobName, this.job);
  }

  onApplicationBootstrap(): void {
    this.job?.start();
  }

  /** Stops the schedule and waits for a purge in flight, before TypeORM closes the DataSource. */
  async onModuleDestroy(): Promise<void> {
    if (!this.job) return;
    if (this.registry?.doesExist('cron', this.jobName)) this.registry.deleteCronJob(this.jobName);
    else this.job.stop();
    this.job = undefined;
    // Its failure was logged by tick(); shutdown goes on.
    await this.running?.catch(() => undefined);
  }

  /**
   * One purge, in a transaction-ID scope of its own. A tick that comes while the previous purge is
   * still running is skipped (resolves to undefined): two purges would only race for the same rows.
   */
  runOnce(): Promise<PurgeResult | undefined> {
    if (this.running) {
      this.logger.warn('retention purge still running; this tick is skipped');
      return Promise.resolve(undefined);
    }
    const run = this.purgeNow().finally(() => {
      this.running = undefined;
    });
    this.running = run;
    return run;
  }

  private purgeNow(): Promise<PurgeResult> {
    const { maxAgeMs, batchSize } = this.options.retention;
    return this.audit.withTransactionId(undefined, async () => {
      const result = await this.audit.purge(new Date(Date.now() - maxAgeMs), { batchSize });
      this.logger.log(`purged data=${result.dataLogs} api=${result.apiLogs}`);
      return result;
    });
  }

  private async tick(): Promise<void> {
    try {
      await this.runOnce();
    } catch (error) {
      this.logger.error(`retention purge failed: ${(error as Error).message}`);
    }
  }
}
