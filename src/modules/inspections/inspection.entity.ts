import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';

export type InspectionResult = 'pass' | 'conditional' | 'fail';

@Entity({ name: 'annual_inspections' })
export class InspectionEntity {
  @PrimaryGeneratedColumn('uuid') id: string;
  @Column('uuid', { name: 'institution_id' }) institutionId: string;
  @Column('integer') year: number;
  @Column('text') result: InspectionResult;
  @Column('text') findings: string;
  @Column('text', { name: 'fund_supervision_findings' }) fundSupervisionFindings: string;
  @Column('text') inspector: string;
  @Column('date', { name: 'inspected_on' }) inspectedOn: string;
  @Column('uuid', { name: 'recorded_by', nullable: true }) recordedBy: string | null;
  @Column('timestamptz', { name: 'recorded_at', default: () => 'now()' }) recordedAt: Date;
}
