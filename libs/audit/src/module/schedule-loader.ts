import { createRequire } from 'node:module';

/** The part of `cron`'s CronJob the retention job uses. */
export interface CronJobLike {
  start(): void;
  stop(): unknown;
}

/** The part of @nestjs/schedule's SchedulerRegistry the retention job uses. */
export interface SchedulerRegistryLike {
  addCronJob(name: string, job: CronJobLike): void;
  doesExist(type: 'cron', name: string): boolean;
  deleteCronJob(name: string): void;
}

export interface ScheduleBindings {
  /** The SchedulerRegistry class, the token to look the application's instance up by. */
  SchedulerRegistry: abstract new (...args: never[]) => SchedulerRegistryLike;
  CronJob: new (
    cronTime: string,
    onTick: () => void | Promise<void>,
    onComplete: null,
    start: boolean,
    timeZone?: string | null,
  ) => CronJobLike;
}

type Loader = ((id: string) => unknown) & { resolve(id: string): string };

export const SCHEDULE_MISSING =
  'nestjs-audit-trail: retention is enabled but @nestjs/schedule is not installed; install it ' +
  '(npm install @nestjs/schedule) and import ScheduleModule.forRoot(), or set retention.enabled to false';

function isMissing(error: unknown, name: string): boolean {
  const { code, message } = (error ?? {}) as { code?: string; message?: string };
  return code === 'MODULE_NOT_FOUND' && String(message).includes(name);
}

/**
 * @nestjs/schedule is an optional peer: only an application with retention enabled needs it, so it is
 * required here, on demand, never at import time. `cron` is resolved from @nestjs/schedule's own
 * location: it is that package's dependency, not ours, and a strict installer (pnpm) only lets its
 * dependants see it.
 */
export function loadSchedule(load: Loader = require): ScheduleBindings {
  let schedule: { SchedulerRegistry: ScheduleBindings['SchedulerRegistry'] };
  try {
    schedule = load('@nestjs/schedule') as typeof schedule;
  } catch (error) {
    if (isMissing(error, '@nestjs/schedule')) throw new Error(SCHEDULE_MISSING, { cause: error });
    throw error;
  }
  const cron = createRequire(load.resolve('@nestjs/schedule'))('cron') as { CronJob: ScheduleBindings['CronJob'] };
  return { SchedulerRegistry: schedule.SchedulerRegistry, CronJob: cron.CronJob };
}
