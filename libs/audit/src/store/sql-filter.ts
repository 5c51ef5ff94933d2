import type { AuditDialect } from './audit-dialect';

/** Builds a parameterised WHERE clause: empty filter fields are ignored, the rest combine with AND. */
export class SqlFilter {
  private readonly conditions: string[] = [];
  readonly parameters: unknown[] = [];

  constructor(private readonly dialect: AuditDialect) {}

  add(column: string, operator: '=' | '>=' | '<=' | '<' | '>', value: unknown): this {
    if (value === undefined || value === null || value === '') return this;
    this.parameters.push(value);
    this.conditions.push(`${column} ${operator} ${this.dialect.placeholder(this.parameters.length)}`);
    return this;
  }

  addTime(column: string, operator: '>=' | '<=' | '<', value: Date | undefined): this {
    return value === undefined ? this : this.add(column, operator, this.dialect.writeTime(value));
  }

  toSql(): string {
    return this.conditions.length ? ` WHERE ${this.conditions.join(' AND ')}` : '';
  }
}
