import type { AuditDialect } from './audit-dialect';
import { type TimeOperator, representableBound } from './trail-time';

/** Builds a parameterised WHERE clause: empty filter fields are ignored, the rest combine with AND. */
export class SqlFilter {
  private readonly conditions: string[] = [];
  readonly parameters: unknown[] = [];

  constructor(private readonly dialect: AuditDialect) {}

  add(column: string, operator: '=' | '>=' | '<=' | '<' | '>', value: unknown): this {
    if (value === undefined || value === null || value === '') return this;
    return this.condition(column, operator, value);
  }

  /** A comparison of instants: the column as the dialect normalises it, the bound as one it can hold. */
  addTime(column: string, operator: TimeOperator, value: Date | undefined): this {
    if (value === undefined) return this;
    const bounded = representableBound(operator, value);
    return this.condition(this.dialect.timeColumn(column), bounded.operator, this.dialect.writeTime(bounded.bound));
  }

  toSql(): string {
    return this.conditions.length ? ` WHERE ${this.conditions.join(' AND ')}` : '';
  }

  private condition(column: string, operator: string, value: unknown): this {
    this.parameters.push(value);
    this.conditions.push(`${column} ${operator} ${this.dialect.placeholder(this.parameters.length)}`);
    return this;
  }
}
