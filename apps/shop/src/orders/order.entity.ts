import { Column, CreateDateColumn, DeleteDateColumn, Entity, PrimaryGeneratedColumn, UpdateDateColumn } from 'typeorm';

export type OrderStatus = 'pending' | 'paid' | 'shipped' | 'failed';

/**
 * Drivers return DECIMAL as a string (pg, mysql2) or as a number (SQLite); the shop always holds
 * the amount as a string with two decimals, so it reads the same on every database.
 */
const money = {
  to: (value: string | null | undefined) => value,
  from: (value: string | number | null) => (value === null ? null : Number(value).toFixed(2)),
};

@Entity('orders')
export class Order {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ name: 'customer_id', length: 64 })
  customerId!: string;

  /** Rupiah, as a decimal string such as `150000.00`. */
  @Column('decimal', { precision: 14, scale: 2, transformer: money })
  amount!: string;

  // The type is spelled out: a union type reaches TypeORM's reflection as Object under some compilers.
  @Column({ type: 'varchar', length: 20 })
  status!: OrderStatus;

  /** The gateway's reference for the transfer, once paid. */
  @Column({ name: 'payment_ref', type: 'varchar', length: 64, nullable: true })
  paymentRef!: string | null;

  /** The shipping provider's waybill number, once shipped. */
  @Column({ name: 'tracking_number', type: 'varchar', length: 64, nullable: true })
  trackingNumber!: string | null;

  @CreateDateColumn({ name: 'created_at' })
  createdAt!: Date;

  @UpdateDateColumn({ name: 'updated_at' })
  updatedAt!: Date;

  @DeleteDateColumn({ name: 'deleted_at' })
  deletedAt!: Date | null;
}
