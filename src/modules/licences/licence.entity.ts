import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import { LicenceState } from './licence-state-machine';

@Entity({ name: 'licences' })
export class LicenceEntity {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column('uuid', { name: 'institution_id' }) institutionId: string;
  @Column('text') state: LicenceState;
  @Column('text', { name: 'licence_number', nullable: true }) licenceNumber: string | null;
  @Column('date', { name: 'valid_from', nullable: true }) validFrom: string | null;
  @Column('date', { name: 'valid_to', nullable: true }) validTo: string | null;
  @Column('integer', { name: 'required_approvals', nullable: true }) requiredApprovals: number | null;
  @Column('uuid', { name: 'previous_licence_id', nullable: true }) previousLicenceId: string | null;
  @Column('text', { name: 'state_reason', nullable: true }) stateReason: string | null;
  @Column('date', { name: 'suspended_until', nullable: true }) suspendedUntil: string | null;
  @Column('uuid', { name: 'created_by', nullable: true }) createdBy: string | null;
  @Column('timestamptz', { name: 'created_at', default: () => 'now()' }) createdAt: Date;
  @Column('timestamptz', { name: 'updated_at', default: () => 'now()' }) updatedAt: Date;
}
