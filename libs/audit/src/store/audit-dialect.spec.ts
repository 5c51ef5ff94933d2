import { dialectFor, indexName } from './audit-dialect';

describe('audit dialects', () => {
  it('maps TypeORM driver types and rejects the rest by name', () => {
    expect(dialectFor('postgres').name).toBe('postgres');
    expect(dialectFor('mariadb').name).toBe('mysql');
    expect(dialectFor('better-sqlite3').name).toBe('sqlite');
    expect(() => dialectFor('oracle')).toThrow(/driver "oracle" is not supported/);
  });

  it('names indexes idx_<table>_<suffix> and keeps long ones unique within 63 characters', () => {
    expect(indexName('audit_logs', 'entity')).toBe('idx_audit_logs_entity');
    const long = 'a'.repeat(63);
    const names = ['entity', 'user', 'action', 'created', 'transaction'].map((suffix) => indexName(long, suffix));
    expect(new Set(names).size).toBe(5);
    expect(names.every((name) => name.length <= 63)).toBe(true);
    expect(indexName(long, 'user')).not.toBe(indexName(`${'a'.repeat(62)}b`, 'user'));
  });

  it('writes LIMIT/OFFSET only for positive values, with an unlimited LIMIT where OFFSET needs one', () => {
    expect(dialectFor('postgres').limitOffset(0, 0)).toBe('');
    expect(dialectFor('postgres').limitOffset(10, 20)).toBe(' LIMIT 10 OFFSET 20');
    expect(dialectFor('mysql').limitOffset(undefined, 5)).toBe(' LIMIT 18446744073709551615 OFFSET 5');
    expect(dialectFor('sqlite').limitOffset(-3, 5)).toBe(' LIMIT -1 OFFSET 5');
  });

  it('reads and writes UTC timestamps without a zone drift', () => {
    const sqlite = dialectFor('sqlite');
    const moment = new Date('2026-04-18T14:23:18.123Z');
    expect(sqlite.writeTime(moment)).toBe('2026-04-18 14:23:18.123');
    expect(sqlite.readTime('2026-04-18 14:23:18.123')).toEqual(moment);
    expect(dialectFor('mysql').readTime('2026-04-18 14:23:18.123000')).toEqual(moment);
  });

  it('inserts many rows as VALUES, and on PostgreSQL from 5 rows as one array per column', () => {
    const columns = [
      { name: 'action', kind: 'text' as const },
      { name: 'new_values', kind: 'json' as const },
    ];
    const rows = (n: number) => Array.from({ length: n }, (_, i) => [`a${i}`, `{"i":${i}}`]);
    expect(dialectFor('mysql').insertMany('t', columns, rows(2))).toEqual([
      'INSERT INTO `t` (action, new_values) VALUES (?, ?), (?, ?)',
      ['a0', '{"i":0}', 'a1', '{"i":1}'],
    ]);
    expect(dialectFor('postgres').insertMany('t', columns, rows(2))).toEqual([
      'INSERT INTO "t" (action, new_values) VALUES ($1, $2), ($3, $4)',
      ['a0', '{"i":0}', 'a1', '{"i":1}'],
    ]);
    const [sql, parameters] = dialectFor('postgres').insertMany('t', columns, rows(5));
    expect(sql).toBe('INSERT INTO "t" (action, new_values) SELECT * FROM unnest($1::text[], $2::jsonb[])');
    expect(parameters).toEqual([
      ['a0', 'a1', 'a2', 'a3', 'a4'],
      ['{"i":0}', '{"i":1}', '{"i":2}', '{"i":3}', '{"i":4}'],
    ]);
  });
});
