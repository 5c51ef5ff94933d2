import {
  type BeforeApplicationShutdown,
  Inject,
  Injectable,
  Logger,
  type OnApplicationShutdown,
  type OnModuleInit,
} from '@nestjs/common';
import { DiscoveryService, HttpAdapterHost, ModulesContainer } from '@nestjs/core';
import { AUDIT_API_TRAIL, AUDIT_DATA_TRAIL, AUDIT_OPTIONS, AUDIT_STORAGE } from '../options/audit.tokens';
import type { ResolvedAuditOptions } from '../options/audit-options';
import type { AuditStorage } from '../store/audit-storage';
import { triggerOptionsOf } from '../store/triggers/capture-triggers';
import { triggerSpecsFor } from '../store/triggers/trigger-spec';
import { AuditContext } from '../transaction/audit-context';
import type { ApiTrailRecorder } from '../trails/api/api-trail.recorder';
import type { DataTrailRecorder } from '../trails/data/data-trail.recorder';
import { type AxiosLike, hookAxios, isAxiosLike } from './axios/axios-trail.hook';
import { hookFetch } from './fetch/fetch-trail.hook';
import { attachDatabaseCapture } from './database/database-capture';
import { attachServerTransactionId, listeningServerOf } from './http-server/transaction-id.server-hook';
import type { RawSqlPolicy } from './typeorm/raw-sql.guard';
import { attachTypeOrmCapture } from './typeorm/typeorm-capture';

type ProviderWrapper = ReturnType<DiscoveryService['getProviders']>[number];

/**
 * The one owner of every patch the module puts on someone else's object: the TypeORM DataSource
 * (subscriber and EntityManager hooks), each HttpService's axios instance, the global `fetch`, and
 * the Node server's request listener. Each is attached at module init and detached on close, so
 * `app.close()` leaves all of them as they were before the application started.
 *
 * - At module init (the module is global, so this runs before other modules' onModuleInit and
 *   their first calls) every HttpService is found through DiscoveryService and its axios instance
 *   hooked once; @nestjs/axios itself is never imported, an HttpService is recognised by its
 *   `axiosRef`, so the module works without it.
 * - beforeApplicationShutdown (all of it runs before any onApplicationShutdown, hence before
 *   TypeORM closes the DataSource there) drains the API recorder: calls in flight end, rows are written.
 * - onApplicationShutdown detaches everything, so a second application in the same process starts
 *   clean, and writes any API row that ended after the drain.
 */
@Injectable()
export class AuditInstrumentation implements OnModuleInit, BeforeApplicationShutdown, OnApplicationShutdown {
  private readonly logger = new Logger('AuditTrail');
  private readonly discovery: DiscoveryService;
  private detachers: Array<() => void> = [];
  private attached = false;

  constructor(
    @Inject(AUDIT_OPTIONS) private readonly options: ResolvedAuditOptions,
    @Inject(AUDIT_STORAGE) private readonly storage: AuditStorage,
    @Inject(AUDIT_DATA_TRAIL) private readonly dataTrail: DataTrailRecorder,
    @Inject(AUDIT_API_TRAIL) private readonly apiTrail: ApiTrailRecorder,
    private readonly context: AuditContext,
    private readonly adapterHost: HttpAdapterHost,
    // ModulesContainer is a core provider visible everywhere; building the DiscoveryService on it
    // spares AuditModule an import of DiscoveryModule, which would change the order in which Nest
    // instantiates providers (and so what a failed start-up has already opened).
    modules: ModulesContainer,
  ) {
    this.discovery = new DiscoveryService(modules);
  }

  onModuleInit(): void {
    if (this.attached) return;
    this.attached = true;
    const { dataAudit, apiAudit, transaction } = this.options;
    if (dataAudit.enabled && dataAudit.capture === 'database') {
      // Triggers write the rows; the ORM subscriber and hooks stay off so no change is recorded twice.
      const dialect = this.storage.dialect.name;
      const specs = triggerSpecsFor(this.storage.dataSource, triggerOptionsOf(dataAudit));
      this.detachers.push(attachDatabaseCapture(this.storage.dataSource, this.context, dialect, specs, this.dataTrail));
    } else if (dataAudit.enabled) {
      const rawSql = (dataAudit as { rawSql?: RawSqlPolicy }).rawSql ?? 'warn';
      this.detachers.push(attachTypeOrmCapture(this.storage.dataSource, this.dataTrail, rawSql));
    }
    const server = listeningServerOf(this.adapterHost);
    if (transaction.mount && server) {
      this.detachers.push(attachServerTransactionId(server, transaction));
    }
    if (apiAudit.enabled) this.attachApiTrail();
  }

  async beforeApplicationShutdown(): Promise<void> {
    if (this.attached && this.options.apiAudit.enabled) await this.apiTrail.drain();
  }

  async onApplicationShutdown(): Promise<void> {
    if (!this.attached) return;
    this.attached = false;
    for (const detach of this.detachers.splice(0).reverse()) detach();
    if (this.options.apiAudit.enabled) await this.apiTrail.close();
  }

  private attachApiTrail(): void {
    const instances = new Set<AxiosLike>();
    for (const wrapper of this.discovery.getProviders()) {
      const instance = axiosOf(wrapper);
      if (instance) instances.add(instance);
    }
    for (const instance of instances) this.detachers.push(hookAxios(instance, this.apiTrail));
    const unhookFetch = this.options.apiAudit.fetch ? hookFetch(this.apiTrail) : undefined;
    if (unhookFetch) this.detachers.push(unhookFetch);
    this.logger.log(
      `API trail records ${instances.size} axios instance(s)${unhookFetch ? ' and the global fetch' : ''}`,
    );
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
