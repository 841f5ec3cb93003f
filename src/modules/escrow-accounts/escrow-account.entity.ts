import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import { cnyColumn, Money } from '../../common/money/money';

export type EscrowMode = 'full_custody' | 'risk_reserve';
export type EscrowState = 'active' | 'frozen' | 'closed';

@Entity({ name: 'escrow_accounts' })
export class EscrowAccountEntity {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column('uuid', { name: 'institution_id' }) institutionId: string;
  @Column('text', { name: 'bank_code' }) bankCode: string;
  @Column('text', { name: 'account_number' }) accountNumber: string;
  @Column('text', { name: 'account_name' }) accountName: string;
  @Column('char', { length: 3 }) currency: string;
  @Column('text') mode: EscrowMode;
  @Column('numeric', { name: 'required_reserve', precision: 18, scale: 2, nullable: true, transformer: cnyColumn }) requiredReserve: Money | null;
  @Column('text', { name: 'agreement_reference' }) agreementReference: string;
  @Column('text') state: EscrowState;
  @Column('uuid', { name: 'created_by', nullable: true }) createdBy: string | null;
  @Column('timestamptz', { name: 'created_at', default: () => 'now()' }) createdAt: Date;
  @Column('timestamptz', { name: 'updated_at', default: () => 'now()' }) updatedAt: Date;
}
