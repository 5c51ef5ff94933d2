import { Column, DeleteDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';

/** A gift voucher: a balance that reaches 0, a flag that goes false and a note that goes '' are real states. */
@Entity('vouchers')
export class Voucher {
  @PrimaryGeneratedColumn()
  id!: number;

  @Column({ length: 50 })
  code!: string;

  @Column('int')
  balance!: number;

  @Column()
  active!: boolean;

  @Column({ type: 'varchar', length: 100 })
  note!: string;

  @Column({ name: 'expires_at', type: Date, nullable: true })
  expiresAt!: Date | null;

  @DeleteDateColumn({ name: 'deleted_at' })
  deletedAt!: Date | null;
}
