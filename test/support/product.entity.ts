import {
  Column,
  CreateDateColumn,
  DeleteDateColumn,
  Entity,
  PrimaryColumn,
  PrimaryGeneratedColumn,
  UpdateDateColumn,
} from 'typeorm';

/** A business entity with the column types whose values drivers return differently. */
@Entity('products')
export class Product {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ length: 100 })
  name!: string;

  @Column('decimal', { precision: 10, scale: 2 })
  price!: string | number;

  @Column('int', { default: 0 })
  stock!: number;

  @Column({ default: true })
  active!: boolean;

  @Column('simple-json', { nullable: true })
  attributes!: Record<string, unknown> | null;

  @Column({ name: 'secret_code', type: 'varchar', length: 50, nullable: true })
  secretCode!: string | null;

  @CreateDateColumn({ name: 'created_at' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at' })
  updatedAt!: Date;

  @DeleteDateColumn({ name: 'deleted_at' })
  deletedAt!: Date | null;
}

/** An entity with a compound primary key. */
@Entity('stock_levels')
export class StockLevel {
  @PrimaryColumn({ name: 'warehouse', length: 20 })
  warehouse!: string;

  @PrimaryColumn({ name: 'sku', length: 20 })
  sku!: string;

  @Column('int')
  quantity!: number;
}

/** An entity excluded from auditing in the tests. */
@Entity('sessions')
export class Session {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ length: 50 })
  token!: string;
}
