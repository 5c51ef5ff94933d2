import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

/** The one entity every case writes, audited or not: a shop product with the usual column types. */
@Entity('products')
export class BenchProduct {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ length: 100 })
  name!: string;

  @Column('decimal', { precision: 10, scale: 2 })
  price!: string | number;

  @Column('int', { default: 0 })
  stock!: number;

  @Column('simple-json', { nullable: true })
  attributes!: Record<string, unknown> | null;

  @CreateDateColumn({ name: 'created_at' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at' })
  updatedAt!: Date;
}

/** A new, unsaved product; `n` keeps the values distinct from one operation to the next. */
export function newProduct(n: number): Partial<BenchProduct> {
  return {
    name: `product ${n}`,
    price: ((n % 9000) + 100) / 100,
    stock: n % 50,
    attributes: { color: n % 2 ? 'red' : 'blue', size: n % 5 },
  };
}
