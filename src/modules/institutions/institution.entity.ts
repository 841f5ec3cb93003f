import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

export type InstitutionCategory = 'subject' | 'non_subject';
export type ProfitType = 'for_profit' | 'non_profit';
export type InstitutionStatus = 'operating' | 'closing' | 'closed';

@Entity({ name: 'institutions' })
export class InstitutionEntity {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column('text') name: string;
  @Column('char', { length: 18 }) uscc: string;
  @Column('char', { name: 'district_code', length: 6 }) districtCode: string;
  @Column('text') category: InstitutionCategory;
  @Column('text', { name: 'profit_type' }) profitType: ProfitType;
  @Column('text') address: string;
  @Column('text', { name: 'legal_representative' }) legalRepresentative: string;
  @Column('text', { name: 'contact_name' }) contactName: string;
  @Column('text', { name: 'contact_phone' }) contactPhone: string;
  @Column('text') status: InstitutionStatus;
  /** The institution's ordinary (basic) account, where releases are paid. */
  @Column('text', { name: 'basic_account_bank', nullable: true }) basicAccountBank: string | null;
  @Column('text', { name: 'basic_account_number', nullable: true }) basicAccountNumber: string | null;
  @Column('uuid', { name: 'created_by', nullable: true }) createdBy: string | null;
  @Column('timestamptz', { name: 'created_at', default: () => 'now()' }) createdAt: Date;
  @Column('timestamptz', { name: 'updated_at', default: () => 'now()' }) updatedAt: Date;
}

/** The fields a regulator may change after registration (history is kept for each). */
export const MUTABLE_INSTITUTION_FIELDS = [
  'name',
  'category',
  'profitType',
  'address',
  'legalRepresentative',
  'contactName',
  'contactPhone',
  'basicAccountBank',
  'basicAccountNumber',
] as const;
export type MutableInstitutionField = (typeof MUTABLE_INSTITUTION_FIELDS)[number];
