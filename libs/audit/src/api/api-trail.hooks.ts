import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import { DiscoveryService, ModulesContainer } from '@nestjs/core';
import { AUDIT_API_TRAIL, AUDIT_OPTIONS } from '../module/audit.constants';
import type { ResolvedAuditOptions } from '../module/audit-options';
import type { ApiTrailRecorder } from './api-trail.recorder';
import { type AxiosLike, hookAxios, isAxiosLike } from './axios-trail.hook';
import { hookFetch } from './fetch-trail.hook';

type ProviderWrapper = ReturnType<DiscoveryService['getProviders']>[number];

/**
 * Attaches the API trail to the application's HTTP clients and detaches it on close.
 *
 * - At module init (the module is global, so this runs before other modules' onModuleInit and
 *   their first calls), every HttpService of the application is found through DiscoveryService
 *   (plain HttpModule, register() and registerAsync() in any feature module) and its axios
 *   instance hooked once; @nestjs/axios itself is never imported, an HttpService is recognised by
 *   its `axiosRef`, so the module works without it. The global fetch is wrapped unless
 *   `apiAudit.fetch` is false.
 * - beforeApplicationShutdown (all of it runs before any onApplicationShutdown, hence before
 *   TypeORM closes the DataSource there) drains the recorder: calls in flight end, rows are written.
 * - onApplicationShutdown unhooks, so a second application in the same process starts clean, and
 *   writes any row that ended after the drain.
 */
@Injectable()
export class ApiTrailHooks implements OnModuleInit, BeforeApplicationShutdown, OnApplicationShutdown {
  private readonly logger = new Logger('AuditTrail');
  private readonly discovery: DiscoveryService;
  private unhooks: Array<() => void> = [];
  private hooked = false;

  constructor(
    @Inject(AUDIT_OPTIONS) private readonly options: ResolvedAuditOptions,
    @Inject(AUDIT_API_TRAIL) private readonly recorder: ApiTrailRecorder,
    // ModulesContainer is a core provider visible everywhere; building the DiscoveryService on it
    // spares AuditModule an import of DiscoveryModule, which would change the order in which Nest
    // instantiates providers (and so what a failed start-up has already opened).
    modules: ModulesContainer,
  ) {
    this.discovery = new DiscoveryService(modules);
  }

  onModuleInit(): void {
    if (!this.options.apiAudit.enabled || this.hooked) return;
    this.hooked = true;
    const instances = new Set<AxiosLike>();
    for (const wrapper of this.discovery.getProviders()) {
      const instance = axiosOf(wrapper);
      if (instance) instances.add(instance);
    }
    for (const instance of instances) this.unhooks.push(hookAxios(instance, this.recorder));
    const unhookFetch = this.options.apiAudit.fetch ? hookFetch(this.recorder) : undefined;
    if (unhookFetch) this.unhooks.push(unhookFetch);
    this.logger.log(
      `API trail records ${instances.size} axios instance(s)${unhookFetch ? ' and the global fetch' : ''}`,
    );
  }

  async beforeApplicationShutdown(): Promise<void> {
    if (this.hooked) await this.recorder.drain();
  }

  async onApplicationShutdown(): Promise<void> {
    if (!this.hooked) return;
    this.hooked = false;
    for (const unhook of this.unhooks.splice(0)) unhook();
    await this.recorder.close();
  }
}

/** The axios instance of an HttpService provider (or of a subclass, or of any client with `axiosRef`). */
function axiosOf(wrapper: ProviderWrapper): AxiosLike | undefined {
  try {
    // A request-scoped or transient provider has no single instance to hook at start-up.
    if (!wrapper.isDependencyTreeStatic() || wrapper.isTransient) return undefined;
    const instance = wrapper.instance as { axiosRef?: unknown } | null | undefined;
    if (!instance || typeof instance !== 'object') return undefined;
    const axios = instance.axiosRef;
    return isAxiosLike(axios) ? axios : undefined;
  } catch {
    // A provider whose getter throws is not an HTTP client of ours to hook.
    return undefined;
  }
}
