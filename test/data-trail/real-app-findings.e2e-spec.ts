import {
  Column,
  CreateDateColumn,
  DeleteDateColumn,
  Entity,
  Index,
  ManyToOne,
  OneToOne,
  JoinColumn,
  PrimaryColumn,
  PrimaryGeneratedColumn,
  type Repository,
  UpdateDateColumn,
} from 'typeorm';
import { createTestApp, describeEachDialect, type TestApp } from '../support/test-app';
import { canonicalRow } from './fixtures/canonical-values';
import { TrailItem } from './fixtures/trail-entities';
import { CommitBetweenReadAndWrite, insertElsewhere, tableRow, tableRows, trailOf } from './fixtures/trail-helpers';

// Found by adding the module, unchanged, to an open-source NestJS + TypeORM boilerplate (JWT auth,
// soft-deleted users and sessions, many-to-one role/status, one-to-one photo) and replaying its trail
// against its tables. The entities below have the boilerplate's shapes: foreign keys declared only by
// the relation (no @Column for `roleId`, `photoId`, `memberId`), eager relations, soft delete.

@Entity('raf_role')
class RafRole {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ length: 20 })
  name!: string;
}

@Entity('raf_photo')
class RafPhoto {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column({ length: 100 })
  path!: string;
}

@Entity('raf_member')
class RafMember {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ type: String, nullable: true })
  firstName!: string | null;

  @Column({ nullable: true })
  password?: string;

  @ManyToOne(() => RafRole, { eager: true })
  role?: RafRole | null;

  @OneToOne(() => RafPhoto, { eager: true })
  @JoinColumn()
  photo?: RafPhoto | null;

  @CreateDateColumn()
  createdAt!: Date;

  @UpdateDateColumn()
  updatedAt!: Date;

  @DeleteDateColumn()
  deletedAt!: Date | null;
}

@Entity('raf_login')
class RafLogin {
  @PrimaryGeneratedColumn()
  id!: number;

  @ManyToOne(() => RafMember, { eager: true })
  @Index()
  member!: RafMember;

  @Column({ length: 64 })
  hash!: string;

  @DeleteDateColumn()
  deletedAt!: Date | null;
}

/** A natural key: the kind of table where an update can change the primary key. */
@Entity('raf_code')
class RafCode {
  @PrimaryColumn({ length: 10 })
  code!: string;

  @Column({ length: 20 })
  label!: string;
}

/** A generated key and a database-set creation time, as most of the boilerplate's tables have. */
@Entity('raf_item')
class RafItem {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column('int')
  qty!: number;

  @CreateDateColumn()
  createdAt!: Date;
}

const ENTITIES = [RafRole, RafPhoto, RafMember, RafLogin, RafCode, RafItem];
const later = () => new Date(Date.now() + 1000);

/** The row as stored, without the excluded column: what a replay of the trail must give back. */
function visible(row: Record<string, unknown> | undefined): Record<string, unknown> | null {
  if (!row) return null;
  const { password: _password, ...rest } = row;
  return canonicalRow(rest);
}

describeEachDialect('data trail, real-app findings: foreign keys declared by the relation only', (dialect) => {
  let t: TestApp;
  let roles: Repository<RafRole>;
  let photos: Repository<RafPhoto>;
  let members: Repository<RafMember>;
  let logins: Repository<RafLogin>;
  let user: RafRole;
  let admin: RafRole;

  beforeAll(async () => {
    t = await createTestApp({
      dialect,
      entities: ENTITIES,
      audit: { dataAudit: { enabled: true, excludeFields: ['password'] } },
    });
    roles = t.dataSource.getRepository(RafRole);
    photos = t.dataSource.getRepository(RafPhoto);
    members = t.dataSource.getRepository(RafMember);
    logins = t.dataSource.getRepository(RafLogin);
    user = await roles.save({ name: 'user' });
    admin = await roles.save({ name: 'admin' });
  });
  afterAll(() => t?.close());

  // Seen: 63 of 63 `session` rows and 38 of 38 `user` rows replayed without `userId`, `roleId`,
  // `statusId`, `photoId`, while every one of them is set in the table.
  it('a create row holds the implicit foreign-key columns as stored (session.userId, user.roleId)', async () => {
    const member = await members.save(members.create({ firstName: 'Ann', password: 'secret', role: { id: user.id } }));
    const login = await logins.save(logins.create({ member: { id: member.id }, hash: 'h1' }));

    const memberCreate = (await trailOf(t, 'raf_member', member.id))[0];
    expect(memberCreate.action).toBe('create');
    expect(memberCreate.newValues).toMatchObject({ roleId: user.id, photoId: null });
    expect(canonicalRow(memberCreate.newValues)).toEqual(visible(await tableRow(t, 'raf_member', member.id)));

    const loginCreate = (await trailOf(t, 'raf_login', login.id))[0];
    expect(loginCreate.action).toBe('create');
    expect(loginCreate.newValues).toMatchObject({ memberId: member.id });
    expect(canonicalRow(loginCreate.newValues)).toEqual(visible(await tableRow(t, 'raf_login', login.id)));
  });

  // Seen: an admin's `PATCH /users/:id { role: { id: 1 } }`, email confirmation (status change) and
  // `PATCH /auth/me { photo }` changed the row (foreign key and updatedAt) and left no trail row; the
  // next update row then claimed an `updatedAt` the replayed trail never had.
  it('a save that changes only a relation (role, photo set, photo cleared) writes an update of the foreign key', async () => {
    const member = await members.save(members.create({ firstName: 'Bob', role: { id: user.id } }));
    const photo = await photos.save({ path: 'p.png' });

    // The boilerplate's repository: load, merge the payload into the domain object, save the whole entity.
    const loaded = await members.findOneByOrFail({ id: member.id });
    await members.save(members.create({ ...loaded, role: { id: admin.id } as RafRole }));
    await members.save(members.create({ ...(await members.findOneByOrFail({ id: member.id })), photo }));
    await members.save(members.create({ ...(await members.findOneByOrFail({ id: member.id })), photo: null }));

    const stored = await tableRow(t, 'raf_member', member.id);
    expect(stored).toMatchObject({ roleId: admin.id, photoId: null });
    const trail = await trailOf(t, 'raf_member', member.id);
    expect(trail.map((row) => row.action)).toEqual(['create', 'update', 'update', 'update']);
    expect(trail[1].oldValues).toMatchObject({ roleId: user.id });
    expect(trail[1].newValues).toMatchObject({ roleId: admin.id });
    expect(trail[2].newValues).toMatchObject({ photoId: photo.id });
    expect(trail[3].oldValues).toMatchObject({ photoId: photo.id });
    expect(trail[3].newValues).toMatchObject({ photoId: null });

    const now = await t.audit.snapshot('raf_member', String(member.id), later());
    expect(canonicalRow(now.values)).toEqual(visible(stored));
  });

  it('softDelete({ member: { id } }) of the sessions: each soft_delete row, replayed, equals its row', async () => {
    const member = await members.save(members.create({ firstName: 'Cy', role: { id: user.id } }));
    const ids: number[] = [];
    for (const hash of ['a', 'b', 'c']) ids.push((await logins.save({ member: { id: member.id }, hash })).id);
    await logins.softDelete({ member: { id: member.id } });

    for (const id of ids) {
      const trail = await trailOf(t, 'raf_login', id);
      expect(trail.map((row) => row.action)).toEqual(['create', 'soft_delete']);
      // A soft-deleted entity replays as absent; its values are the create row merged with the soft delete.
      const replayed = { ...trail[0].newValues, ...trail[1].newValues };
      expect(canonicalRow(replayed)).toEqual(visible(await tableRow(t, 'raf_login', id)));
    }
  });
});

describeEachDialect('data trail, real-app findings: an update that changes the primary key', (dialect) => {
  let t: TestApp;
  let codes: Repository<RafCode>;

  beforeAll(async () => {
    t = await createTestApp({ dialect, entities: ENTITIES, audit: { dataAudit: { enabled: true } } });
    codes = t.dataSource.getRepository(RafCode);
  });
  afterAll(() => t?.close());

  it('update({ code: "A" }, { code: "B" }) leaves a trail under which B replays to its row and A ends', async () => {
    await codes.insert({ code: 'A', label: 'first' });
    await codes.update({ code: 'A' }, { code: 'B', label: 'renamed' });

    const rows = await tableRows(t, 'raf_code', 'code');
    expect(rows.map((row) => row.code)).toEqual(['B']);
    // The database changed row A into row B: the trail must say so, whatever the form (an update of
    // A naming the new key, or a delete of A and a create of B); today it holds only `create A`.
    const a = await t.audit.snapshot('raf_code', 'A', later());
    const b = await t.audit.snapshot('raf_code', 'B', later());
    expect(a.values).toBeNull();
    expect(canonicalRow(b.values)).toEqual(canonicalRow(rows[0]));
  });

  it('a QueryBuilder update of the key is recorded too', async () => {
    await codes.insert({ code: 'Q1', label: 'qb' });
    await t.dataSource
      .createQueryBuilder()
      .update(RafCode)
      .set({ code: 'Q2' })
      .where('code = :code', { code: 'Q1' })
      .execute();

    const q1 = await t.audit.snapshot('raf_code', 'Q1', later());
    const q2 = await t.audit.snapshot('raf_code', 'Q2', later());
    expect(q1.values).toBeNull();
    expect(q2.values).toMatchObject({ code: 'Q2', label: 'qb' });
  });
});

describeEachDialect('data trail, real-app findings: QueryBuilder statements as callers tune them', (dialect) => {
  let t: TestApp;
  const onDialects = (...dialects: string[]) => (dialects.includes(dialect) ? it : it.skip);

  beforeAll(async () => {
    t = await createTestApp({ dialect, entities: ENTITIES, audit: { dataAudit: { enabled: true } } });
  });
  afterAll(() => t?.close());

  // TypeORM fills InsertResult.identifiers only when updateEntity is on; bulk loaders turn it off.
  it('insert().values([...]).updateEntity(false) with explicit keys writes a create row per row', async () => {
    await t.dataSource
      .createQueryBuilder()
      .insert()
      .into(RafCode)
      .values([
        { code: 'U1', label: 'one' },
        { code: 'U2', label: 'two' },
      ])
      .updateEntity(false)
      .execute();

    expect(await tableRows(t, 'raf_code', 'code')).toHaveLength(2);
    for (const code of ['U1', 'U2']) {
      expect((await trailOf(t, 'raf_code', code)).map((row) => row.action)).toEqual(['create']);
    }
  });

  it('insert().values([...]).updateEntity(false) with generated keys writes a create row per row', async () => {
    const before = (await tableRows(t, 'raf_item')).length;
    await t.dataSource
      .createQueryBuilder()
      .insert()
      .into(RafItem)
      .values([{ qty: 1 }, { qty: 2 }, { qty: 3 }])
      .updateEntity(false)
      .execute();

    const rows = await tableRows(t, 'raf_item');
    expect(rows).toHaveLength(before + 3);
    for (const row of rows.slice(before)) {
      const trail = await trailOf(t, 'raf_item', Number(row.id));
      expect(trail.map((entry) => entry.action)).toEqual(['create']);
      expect(canonicalRow(trail[0].newValues)).toEqual(canonicalRow(row));
    }
  });

  // save(..., { reload: false }), a common speed option, builds the same insert with updateEntity(false).
  it('save([...], { reload: false }) of new entities writes a create row per row', async () => {
    const before = (await tableRows(t, 'raf_item')).length;
    await t.dataSource.getRepository(RafItem).save([{ qty: 41 }, { qty: 42 }], { reload: false });

    const rows = await tableRows(t, 'raf_item');
    expect(rows).toHaveLength(before + 2);
    for (const row of rows.slice(before)) {
      const trail = await trailOf(t, 'raf_item', Number(row.id));
      expect(trail.map((entry) => entry.action)).toEqual(['create']);
      expect(canonicalRow(trail[0].newValues)).toEqual(canonicalRow(row));
    }
  });

  // The module splits a statement over more than 500 rows into several and returns the first one's
  // result with `affected` summed: the caller's RETURNING rows are cut to 500.
  onDialects('postgres')(
    'update().returning("*") over 600 rows returns all 600 rows, as without the module',
    async () => {
      await t.dataSource
        .getRepository(RafItem)
        .insert(Array.from({ length: 600 }, (_, index) => ({ qty: 1000 + index })));
      const result = await t.dataSource
        .createQueryBuilder()
        .update(RafItem)
        .set({ qty: 7 })
        .where('qty >= :from', { from: 1000 })
        .returning('*')
        .execute();

      expect(result.affected).toBe(600);
      expect(result.raw).toHaveLength(600);
    },
  );

  // Seen: 86 `user` and 167 `session` timestamps in the trail cut to milliseconds ("03:40:05.545Z")
  // where the table holds microseconds ("03:40:05.545803"): a value the database never held, and the
  // one applyRestore would write back.
  onDialects('postgres', 'mariadb')('a create row holds createdAt as stored, to the microsecond', async () => {
    const item = await t.dataSource.getRepository(RafItem).save({ qty: 5 });
    const [stored] = await t.dataSource.query(
      dialect === 'postgres'
        ? `SELECT to_char("createdAt", 'YYYY-MM-DD"T"HH24:MI:SS.US') AS "text" FROM raf_item WHERE id = ${item.id}`
        : `SELECT DATE_FORMAT(createdAt, '%Y-%m-%dT%H:%i:%s.%f') AS text FROM raf_item WHERE id = ${item.id}`,
    );
    const micros = (text: string) =>
      BigInt(Date.parse(`${text.slice(0, 23)}Z`)) * 1000n + BigInt(text.slice(23, 26) || '0');
    const trail = await trailOf(t, 'raf_item', item.id);
    const recorded = String(trail[0].newValues!.createdAt);
    expect(micros(recorded.replace('Z', '').padEnd(26, '0'))).toBe(micros(stored.text));
  });
});

// The statement is narrowed to the rows read first by appending `AND <key> IN (...)` to its WHERE.
// With `.orWhere(...)` that reads `a OR b AND key IN (...)`: the first branch is not narrowed, so a
// row committed in between that matches it is changed by the statement and gets no trail row.
describeEachDialect('data trail, real-app findings: orWhere and the narrowing of a statement', (dialect) => {
  if (dialect === 'sqlite') {
    it.skip('cannot happen on SQLite (a single writer)', () => undefined);
    return;
  }
  let t: TestApp;
  const hook = new CommitBetweenReadAndWrite();

  beforeAll(async () => {
    t = await createTestApp({ dialect, entities: [TrailItem], audit: { dataAudit: { enabled: true } } });
    t.dataSource.subscribers.push(hook);
  });
  afterAll(() => t?.close());

  it('update().where(a).orWhere(b): every row the statement set has its update row', async () => {
    await t.dataSource.getRepository(TrailItem).save([
      { name: 'one', tag: 'or-a', qty: 1 },
      { name: 'two', tag: 'or-b', qty: 2 },
    ]);
    let concurrentId: number | undefined;
    hook.armed = async () => {
      concurrentId = await insertElsewhere(dialect, (t.dataSource.options as { url: string }).url, 'or-a');
    };
    await t.dataSource
      .createQueryBuilder()
      .update(TrailItem)
      .set({ qty: 77 })
      .where('tag = :a', { a: 'or-a' })
      .orWhere('tag = :b', { b: 'or-b' })
      .execute();
    await hook.pending;
    expect(concurrentId).toBeDefined();

    const set: Array<{ id: number }> = await t.dataSource.query('SELECT id FROM trail_items WHERE qty = 77');
    const claimed = (await trailOf(t, 'trail_items'))
      .filter((row) => row.action === 'update' && row.newValues?.qty === 77)
      .map((row) => row.entityId)
      .sort();
    expect({ concurrentId, claimed }).toEqual({ concurrentId, claimed: set.map((row) => String(row.id)).sort() });
  });
});
