import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** The order of SPEC.md's checkout story. */
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
