import { HttpModule, HttpService } from '@nestjs/axios';
import { Controller, Injectable, Module, Post } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { InjectRepository, TypeOrmModule } from '@nestjs/typeorm';
import axios from 'axios';
import type { Server } from 'node:http';
import { firstValueFrom } from 'rxjs';
import {
  DataSource,
  DeleteQueryBuilder,
  EntityManager,
  InsertQueryBuilder,
  QueryBuilder,
  Repository,
  SelectQueryBuilder,
  UpdateQueryBuilder,
} from 'typeorm';
import { SoftDeleteQueryBuilder } from 'typeorm/query-builder/SoftDeleteQueryBuilder';
import request from 'supertest';
import { AuditModule, AuditService } from 'nestjs-audit-trail';
import { type LoopbackServer, json, startLoopbackServer } from '../api-trail/loopback-server';
import { Product } from '../support/product.entity';
import { describeEachDialect, testDatabase } from '../support/test-app';

/*
 * `app.close()` must leave every object the module touched as it was before the module started: the
 * TypeORM prototypes and the DataSource (with its manager), the subscriber list, every HttpService's
 * axios interceptors, the global fetch and the HTTP server's request listeners. Each is recorded
 * before the application starts, the application then serves a request that writes an entity and
 * makes outbound calls (both trails on), closes, and everything is compared again: same functions,
 * same counts.
 */

/** A value's identity for comparison: functions and objects by reference, the rest by value. */
type Members = Map<PropertyKey, unknown>;

/** The own properties of `target` (values, or the getter/setter of an accessor). */
function ownMembers(target: object): Members {
  const members: Members = new Map();
  for (const key of Reflect.ownKeys(target)) {
    const descriptor = Object.getOwnPropertyDescriptor(target, key)!;
    members.set(key, 'value' in descriptor ? descriptor.value : [descriptor.get, descriptor.set]);
  }
  return members;
}

/** The own properties of each prototype from `prototype` up to (not including) Object.prototype. */
function prototypeChain(prototype: object): Array<{ owner: string; members: Members }> {
  const chain: Array<{ owner: string; members: Members }> = [];
  for (let current: object | null = prototype; current && current !== Object.prototype;) {
    chain.push({ owner: (current.constructor as { name?: string })?.name ?? '?', members: ownMembers(current) });
    current = Object.getPrototypeOf(current);
  }
  return chain;
}

/** Only the function-valued members, by name: what a patch replaces. */
function functionsOf(members: Members): Record<string, unknown> {
  const functions: Record<string, unknown> = {};
  for (const [key, value] of members) {
    const isFunction = typeof value === 'function' || (Array.isArray(value) && value.some((f) => f));
    if (isFunction) functions[String(key)] = value;
  }
  return functions;
}

interface InterceptorManagerLike {
  handlers?: Array<{ fulfilled?: unknown; rejected?: unknown } | null>;
}

/** The live interceptors of an axios instance (axios leaves null in the slot of an ejected one). */
function interceptorsOf(instance: { interceptors: { request: unknown; response: unknown } }) {
  const live = (manager: unknown) =>
    ((manager as InterceptorManagerLike).handlers ?? [])
      .filter((handler) => handler !== null)
      .map((handler) => [handler!.fulfilled, handler!.rejected]);
  return { request: live(instance.interceptors.request), response: live(instance.interceptors.response) };
}

interface State {
  prototypes: Record<string, Array<{ owner: string; functions: Record<string, unknown> }>>;
  dataSource: { keys: PropertyKey[]; functions: Record<string, unknown>; hasOwnCreateEntityManager: boolean };
  manager: { identity: EntityManager; keys: PropertyKey[]; functions: Record<string, unknown> };
  subscribers: unknown[];
  axios: Record<string, ReturnType<typeof interceptorsOf>>;
  axiosKeys: Record<string, PropertyKey[]>;
  fetch: typeof globalThis.fetch;
}

function prototypesState(queryRunnerPrototype: object): State['prototypes'] {
  const classes: Record<string, object> = {
    EntityManager: EntityManager.prototype,
    Repository: Repository.prototype,
    DataSource: DataSource.prototype,
    QueryBuilder: QueryBuilder.prototype,
    SelectQueryBuilder: SelectQueryBuilder.prototype,
    InsertQueryBuilder: InsertQueryBuilder.prototype,
    UpdateQueryBuilder: UpdateQueryBuilder.prototype,
    DeleteQueryBuilder: DeleteQueryBuilder.prototype,
    SoftDeleteQueryBuilder: SoftDeleteQueryBuilder.prototype,
    QueryRunner: queryRunnerPrototype,
  };
  return Object.fromEntries(
    Object.entries(classes).map(([name, prototype]) => [
      name,
      prototypeChain(prototype).map(({ owner, members }) => ({ owner, functions: functionsOf(members) })),
    ]),
  );
}

function stateOf(
  dataSource: DataSource,
  queryRunnerPrototype: object,
  axiosInstances: Record<string, { interceptors: { request: unknown; response: unknown } }>,
): State {
  const dataSourceMembers = ownMembers(dataSource);
  const managerMembers = ownMembers(dataSource.manager);
  return {
    prototypes: prototypesState(queryRunnerPrototype),
    dataSource: {
      keys: [...dataSourceMembers.keys()],
      functions: functionsOf(dataSourceMembers),
      hasOwnCreateEntityManager: Object.prototype.hasOwnProperty.call(dataSource, 'createEntityManager'),
    },
    manager: { identity: dataSource.manager, keys: [...managerMembers.keys()], functions: functionsOf(managerMembers) },
    subscribers: [...dataSource.subscribers],
    axios: Object.fromEntries(Object.entries(axiosInstances).map(([name, axios]) => [name, interceptorsOf(axios)])),
    axiosKeys: Object.fromEntries(
      Object.entries(axiosInstances).map(([name, instance]) => [name, Reflect.ownKeys(instance)]),
    ),
    fetch: globalThis.fetch,
  };
}

const gateway: { url: string } = { url: '' };

/** A client with its own axios instance (HttpModule.register), next to the default HttpModule's. */
@Injectable()
class ShippingClient {
  constructor(readonly http: HttpService) {}
}

@Module({ imports: [HttpModule.register({ timeout: 5000 })], providers: [ShippingClient], exports: [ShippingClient] })
class ShippingModule {}

@Controller('orders')
class OrdersController {
  constructor(
    @InjectRepository(Product) private readonly products: Repository<Product>,
    private readonly http: HttpService,
    private readonly shipping: ShippingClient,
  ) {}

  /** One write and three outbound calls: the default HttpService, a registered one, and fetch. */
  @Post()
  async create(): Promise<{ id: number }> {
    const product = await this.products.save(this.products.create({ name: 'teardown', price: 10 }));
    await firstValueFrom(this.http.post(`${gateway.url}/pay`, { id: product.id }));
    await firstValueFrom(this.shipping.http.post(`${gateway.url}/ship`, { id: product.id }));
    await (await fetch(`${gateway.url}/pay`, { method: 'POST', body: '{}' })).text();
    return { id: product.id };
  }
}

describeEachDialect('app.close() leaves no patch behind', (dialect) => {
  let server: LoopbackServer;

  beforeAll(async () => {
    server = await startLoopbackServer({
      'POST /pay': (_request, response) => json(response, 200, { ok: true }),
      'POST /ship': (_request, response) => json(response, 200, { ok: true }),
    });
    gateway.url = server.url;
  });

  afterAll(() => server.close());

  it('restores TypeORM, the DataSource, axios, fetch and the server listeners as they were', async () => {
    const options = await testDatabase(dialect, [Product]);
    // The DataSource is opened here, so its state can be recorded before the module sees it.
    const dataSource = await new DataSource(options).initialize();
    const queryRunner = dataSource.createQueryRunner();
    const queryRunnerPrototype = Object.getPrototypeOf(queryRunner) as object;
    await queryRunner.release();

    const beforeCompile = stateOf(dataSource, queryRunnerPrototype, { 'axios (default HttpModule)': axios });
    const moduleRef = await Test.createTestingModule({
      imports: [
        TypeOrmModule.forRootAsync({ useFactory: () => options, dataSourceFactory: async () => dataSource }),
        TypeOrmModule.forFeature([Product]),
        HttpModule,
        ShippingModule,
        AuditModule.forRoot({ dataAudit: { enabled: true }, apiAudit: { enabled: true } }),
      ],
      controllers: [OrdersController],
    }).compile();
    const app = moduleRef.createNestApplication({ logger: false });
    const httpServer = app.getHttpServer() as Server;
    const registered = app.get(ShippingClient, { strict: false }).http.axiosRef;
    expect(registered).not.toBe(axios);
    // What exists only once the application is built (its server, its own axios instance) is
    // recorded before init, which is when the module attaches.
    const listenersBefore = httpServer.listeners('request');
    const registeredBefore = { interceptors: interceptorsOf(registered), keys: Reflect.ownKeys(registered) };
    let closed = false;
    try {
      await app.init();

      // The module is live: one request writes an entity and makes three outbound calls.
      expect(httpServer.listeners('request').length).toBeGreaterThan(listenersBefore.length);
      const response = await request(httpServer).post('/orders').expect(201);
      expect(response.headers['x-transaction-id']).toBeTruthy();
      const audit = app.get(AuditService);
      await audit.flushApiCalls();
      const trail = await audit.queryByTransaction(response.headers['x-transaction-id']);
      expect(trail.dataLogs.map((row) => row.action)).toEqual(['create']);
      expect(trail.apiLogs.map((row) => row.endpoint).sort()).toEqual(['/pay', '/pay', '/ship']);

      await app.close();
      closed = true;

      const after = stateOf(dataSource, queryRunnerPrototype, { 'axios (default HttpModule)': axios });
      expect(after.prototypes).toEqual(beforeCompile.prototypes);
      expect(after.dataSource.functions).toEqual(beforeCompile.dataSource.functions);
      expect(after.dataSource.hasOwnCreateEntityManager).toBe(beforeCompile.dataSource.hasOwnCreateEntityManager);
      expect(after.dataSource.keys).toEqual(beforeCompile.dataSource.keys);
      expect(after.manager.identity).toBe(beforeCompile.manager.identity);
      expect(after.manager.keys).toEqual(beforeCompile.manager.keys);
      expect(after.manager.functions).toEqual(beforeCompile.manager.functions);
      expect(after.subscribers).toEqual(beforeCompile.subscribers);
      expect(after.axios).toEqual(beforeCompile.axios);
      expect(after.axiosKeys).toEqual(beforeCompile.axiosKeys);
      expect(after.fetch).toBe(beforeCompile.fetch);
      expect({ interceptors: interceptorsOf(registered), keys: Reflect.ownKeys(registered) }).toEqual(registeredBefore);
      const listenersAfter = httpServer.listeners('request');
      expect(listenersAfter).toHaveLength(listenersBefore.length);
      listenersAfter.forEach((listener, index) => expect(listener).toBe(listenersBefore[index]));
    } finally {
      if (!closed) await app.close();
      if (dataSource.isInitialized) await dataSource.destroy();
    }
  });
});
