import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** An order as the checkout story writes it: created, paid, then shipped. */
@Entity('orders')
export class Order {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ length: 20 })
  status!: string;

  @Column({ name: 'payment_ref', type: 'varchar', length: 50, nullable: true })
  paymentRef!: string | null;

  @Column({ name: 'tracking_number', type: 'varchar', length: 50, nullable: true })
  trackingNumber!: string | null;
}
