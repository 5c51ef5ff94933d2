import { Column, Entity, JoinColumn, JoinTable, ManyToMany, ManyToOne, PrimaryGeneratedColumn } from 'typeorm';

@Entity('dc_customers')
export class Customer {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ length: 50 })
  name!: string;
}

@Entity('dc_labels')
export class Label {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ length: 50 })
  name!: string;
}

/** An order is deleted with its customer (CASCADE) and loses its referrer (SET NULL); labels through a join table. */
@Entity('dc_orders')
export class Order {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column('int')
  total!: number;

  @ManyToOne(() => Customer, { onDelete: 'CASCADE', nullable: false })
  @JoinColumn({ name: 'customer_id' })
  customer!: Customer;

  @Column({ name: 'customer_id' })
  customerId!: number;

  @ManyToOne(() => Customer, { onDelete: 'SET NULL', nullable: true })
  @JoinColumn({ name: 'referrer_id' })
  referrer!: Customer | null;

  @Column({ name: 'referrer_id', type: 'int', nullable: true })
  referrerId!: number | null;

  @ManyToMany(() => Label)
  @JoinTable({ name: 'dc_order_labels', joinColumn: { name: 'order_id' }, inverseJoinColumn: { name: 'label_id' } })
  labels!: Label[];
}
