import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsDefined, IsIn, IsInt, IsOptional, IsString, IsUUID, Length, Matches, Max, Min, ValidateIf } from 'class-validator';
import { IsCalendarDate } from '@common/http/date-input';
import { PageQueryDto } from '@common/http/pagination';
import { EXCEPTION_STATES, ExceptionState } from '../exception-state-machine';

export const EXCEPTION_TYPES = [
  'MISSING_IN_LEDGER',
  'MISSING_AT_BANK',
  'AMOUNT_MISMATCH',
  'DUPLICATE_AT_BANK',
  'BALANCE_BREAK',
  'STATEMENT_GAP',
  'STATEMENT_MISSING',
  'STATEMENT_INCONSISTENT',
] as const;
export type ExceptionType = (typeof EXCEPTION_TYPES)[number];

/** What a person may do to an exception (`auto_match` and `superseded` are the system's own). */
export const RESOLUTION_ACTIONS = ['manual_match', 'timing_difference', 'adjustment', 'apply_credit', 'reversal'] as const;
export type ResolutionAction = (typeof RESOLUTION_ACTIONS)[number];

export const RECORD_SOURCES = ['credit', 'movement', 'adjustment'] as const;

export class DistrictSummaryQueryDto {
  @ApiPropertyOptional({ example: '2026-12-04', description: 'The business day (default: the working day before today, China time)' })
  @IsOptional()
  @IsCalendarDate()
  date?: string;
}

export class ExceptionsQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ example: '310117', description: 'A district, city or province code within your jurisdiction (default: all of it)' })
  @IsOptional()
  @Matches(/^\d{6}$/, { message: 'districtCode must be a 6-digit administrative code' })
  districtCode?: string;

  @ApiPropertyOptional({ enum: EXCEPTION_STATES, description: 'accepted: a timing difference acknowledged, not yet cleared' })
  @IsOptional()
  @IsIn(EXCEPTION_STATES)
  state?: ExceptionState;

  @ApiPropertyOptional({ enum: EXCEPTION_TYPES }) @IsOptional() @IsIn(EXCEPTION_TYPES) type?: ExceptionType;

  @ApiPropertyOptional({ example: '2026-12-04', description: 'Business day of the exception' }) @IsOptional() @IsCalendarDate() date?: string;

  @ApiPropertyOptional({ format: 'uuid' }) @IsOptional() @IsUUID() escrowAccountId?: string;
}

/**
 * One resolution of an exception. Which optional fields count depends on the action:
 * - `manual_match`: an exception with a bank line names the platform record (`source`, `recordId`);
 *   one with a platform record names the bank line (`statementId`, `line`);
 * - `apply_credit`: optionally the contract reference the credit pays (`payerReference`);
 * - `reversal`: the earlier resolution it reverses (`resolutionId`).
 */
export class CreateResolutionDto {
  @ApiProperty({ enum: RESOLUTION_ACTIONS }) @IsIn(RESOLUTION_ACTIONS) action: ResolutionAction;

  @ApiProperty({ example: 'The payment arrived a day late; bank confirmed by phone' }) @IsString() @Length(2, 1000) reason: string;

  @ApiPropertyOptional({ enum: RECORD_SOURCES, description: 'manual_match: kind of the platform record' }) @IsOptional() @IsIn(RECORD_SOURCES) source?: (typeof RECORD_SOURCES)[number];

  @ApiPropertyOptional({ format: 'uuid', description: 'manual_match: the platform record (credit, movement or adjustment id)' }) @IsOptional() @IsUUID() recordId?: string;

  @ApiPropertyOptional({ format: 'uuid', description: 'manual_match: the statement of the bank line' }) @IsOptional() @IsUUID() statementId?: string;

  @ApiPropertyOptional({ minimum: 1, description: 'manual_match: the bank line (1-based) in that statement' }) @IsOptional() @IsInt() @Min(1) @Max(2147483647) line?: number;

  @ApiPropertyOptional({ format: 'uuid', description: 'reversal: the resolution to reverse (required for a reversal)' })
  @ValidateIf((o: CreateResolutionDto) => o.action === 'reversal' || (o.resolutionId !== undefined && o.resolutionId !== null))
  @IsDefined({ message: 'resolutionId is required for a reversal' })
  @IsUUID()
  resolutionId?: string;

  @ApiPropertyOptional({ example: 'C2026120100001', description: 'apply_credit: the contract reference the money pays (default: the line’s own references)' })
  @IsOptional()
  @IsString()
  @Length(1, 64)
  payerReference?: string;
}

export class ApproveAdjustmentDto {
  @ApiProperty({ example: 'Checked against the bank’s advice; correcting the ledger' }) @IsString() @Length(2, 1000) reason: string;
}
