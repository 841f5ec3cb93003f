import { ApiProperty } from '@nestjs/swagger';
import { IsIn, IsInt, IsString, Length, Max, Min } from 'class-validator';
import { IsCalendarDate } from '@common/http/date-input';
import { Inspection, InspectionResult } from '../inspections.repository';

const RESULTS = ['pass', 'conditional', 'fail'];

export class RecordInspectionDto {
  @ApiProperty({ example: 2026 }) @IsInt() @Min(2000) @Max(2100) year: number;
  @ApiProperty({ enum: RESULTS }) @IsIn(RESULTS) result: InspectionResult;
  @ApiProperty() @IsString() @Length(1, 5000) findings: string;
  @ApiProperty({ description: 'Findings on prepaid-fee supervision (资金监管)' }) @IsString() @Length(1, 5000) fundSupervisionFindings: string;
  @ApiProperty() @IsString() @Length(1, 200) inspector: string;
  @ApiProperty({ example: '2026-11-20' }) @IsCalendarDate() inspectedOn: string;
}

export class InspectionDto extends RecordInspectionDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ format: 'uuid' }) institutionId: string;
  @ApiProperty() recordedAt: string;

  static from(i: Inspection): InspectionDto {
    return {
      id: i.id,
      institutionId: i.institutionId,
      year: i.year,
      result: i.result,
      findings: i.findings,
      fundSupervisionFindings: i.fundSupervisionFindings,
      inspector: i.inspector,
      inspectedOn: i.inspectedOn,
      recordedAt: new Date(i.recordedAt).toISOString(),
    };
  }
}
