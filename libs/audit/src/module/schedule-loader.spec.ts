import { SCHEDULE_MISSING, loadSchedule } from './schedule-loader';

function loaderThatFails(error: Error & { code?: string }) {
  return Object.assign(
    (_id: string): unknown => {
      throw error;
    },
    { resolve: require.resolve },
  );
}

describe('loadSchedule', () => {
  it('finds SchedulerRegistry and the CronJob of the cron package @nestjs/schedule uses', () => {
    const { SchedulerRegistry, CronJob } = loadSchedule();

    expect(SchedulerRegistry.name).toBe('SchedulerRegistry');
    expect(typeof CronJob).toBe('function');
    const job = new CronJob('0 3 * * *', () => undefined, null, false, 'Asia/Jakarta');
    job.stop();
  });

  it('says how to fix a missing @nestjs/schedule', () => {
    const missing = Object.assign(new Error("Cannot find module '@nestjs/schedule'"), { code: 'MODULE_NOT_FOUND' });

    expect(() => loadSchedule(loaderThatFails(missing))).toThrow(SCHEDULE_MISSING);
    expect(SCHEDULE_MISSING).toMatch(/npm install @nestjs\/schedule/);
  });

  it('passes any other failure through rather than calling it missing', () => {
    const broken = Object.assign(new Error("Cannot find module 'luxon'"), { code: 'MODULE_NOT_FOUND' });

    expect(() => loadSchedule(loaderThatFails(broken))).toThrow("Cannot find module 'luxon'");
  });
});
