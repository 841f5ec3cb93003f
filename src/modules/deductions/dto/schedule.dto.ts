import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsInt, IsOptional, IsString, Length, Max, Min } from 'class-validator';
import { IsCalendarDate } from '@common/http/date-input';
import { PERIOD_STATES } from '../deduction-period-state-machine';
import { PauseRow, PeriodRow } from '../deductions.repository';

export class SchedulePeriodDto {
  @ApiProperty({ example: 1 }) seq: number;
  @ApiProperty({ example: '2027-02-28', description: 'The day after the period ends: its money may go to the institution from then on' }) dueDate: string;
  @ApiProperty({ example: '3333.33' }) amount: string;
  @ApiProperty({ enum: PERIOD_STATES }) state: string;
  @ApiProperty({ example: '2027-01-31' }) periodFrom: string;
  @ApiProperty({ example: '2027-02-27' }) periodTo: string;

  static from(p: PeriodRow): SchedulePeriodDto {
    return { seq: p.seq, dueDate: p.due_date, amount: p.amount, state: p.state, periodFrom: p.period_from, periodTo: p.period_to };
  }
}

export class ScheduleInstalmentDto {
  @ApiProperty() seq: number;
  @ApiProperty() collectionDate: string;
  @ApiProperty() amount: string;
  @ApiProperty() state: string;
  @ApiProperty() coversFrom: string;
  @ApiProperty() coversTo: string;
}

export class ScheduleDto {
  @ApiProperty({ enum: ['deduction', 'instalment'], nullable: true, type: String, description: 'deduction: periodic release to the institution; instalment: debits from the payer; null: neither' })
  mode: 'deduction' | 'instalment' | null;
  @ApiProperty({ type: [SchedulePeriodDto] }) periods: SchedulePeriodDto[];
  @ApiProperty({ type: [ScheduleInstalmentDto] }) instalments: ScheduleInstalmentDto[];
}

export class ObjectPeriodDto {
  @ApiProperty({ example: 1, description: 'The period (seq) objected to; not yet deducted' }) @IsInt() @Min(1) @Max(10000) seq: number;
  @ApiProperty({ example: 'The classes of February did not take place' }) @IsString() @Length(2, 1000) reason: string;
}

export class PeriodDecisionDto {
  @ApiProperty({ enum: ['release', 'withhold'], description: 'release: the period goes to the institution (at once when due); withhold: its money stays for the payer' })
  @IsIn(['release', 'withhold'])
  decision: 'release' | 'withhold';
  @ApiProperty() @IsString() @Length(2, 1000) reason: string;
}

export class ProposePauseDto {
  @ApiProperty({ example: '2027-03-01', description: 'First paused day (today or later, China time)' }) @IsCalendarDate() from: string;
  @ApiProperty({ example: 14, description: 'Paused days: every period not yet due moves by them' }) @IsInt() @Min(1) @Max(366) days: number;
  @ApiProperty({ example: 'Leave of absence agreed with the parent' }) @IsString() @Length(2, 1000) reason: string;
}

export class PauseDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() from: string;
  @ApiProperty() days: number;
  @ApiProperty() reason: string;
  @ApiProperty({ enum: ['proposed', 'agreed'] }) state: string;
  @ApiPropertyOptional() shiftedPeriods?: number;

  static from(p: PauseRow, shifted?: number): PauseDto {
    return { id: p.id, from: p.pause_from, days: p.days, reason: p.reason, state: p.state, ...(shifted === undefined ? {} : { shiftedPeriods: shifted }) };
  }
}

export class RunDeductionsDto {
  @ApiPropertyOptional({ example: '2027-03-01', description: 'The day to run for (China time); default today. Every period due by then is instructed once.' })
  @IsOptional()
  @IsCalendarDate()
  today?: string;
}
