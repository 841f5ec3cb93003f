import { ApiProperty } from '@nestjs/swagger';
import { EXCEPTION_TYPES, RECORD_SOURCES } from './reconciliation-input.dto';
import { EXCEPTION_STATES } from '../exception-state-machine';

export const DAY_STATUSES = ['reconciled', 'reconciled_in_transit', 'broken', 'missing'] as const;
export type DayStatus = (typeof DAY_STATUSES)[number];

const money = (description: string, nullable = false) => ({ example: '1250.00', description, ...(nullable ? { nullable: true, type: String } : {}) });

export class AccountDayDto {
  @ApiProperty({ format: 'uuid' }) escrowAccountId: string;
  @ApiProperty({ format: 'uuid' }) institutionId: string;
  @ApiProperty() bankCode: string;
  @ApiProperty() accountNumber: string;
  @ApiProperty({ example: 'CNY' }) currency: string;
  @ApiProperty({ enum: DAY_STATUSES }) status: DayStatus;
  @ApiProperty(money('Closing balance of the bank statement (signed); null without a statement', true)) bankClosing: string | null;
  @ApiProperty(money('Ledger bank cash at the end of the day (China time)', true)) ledgerBalance: string | null;
  @ApiProperty(money('Signed sum of records in transit (credits +)', true)) inTransit: string | null;
  @ApiProperty(money('bankClosing − ledgerBalance', true)) difference: string | null;
  @ApiProperty() openExceptions: number;
  @ApiProperty({ nullable: true, type: String, format: 'uuid' }) statementId: string | null;
}

export class StatusTotalsDto {
  @ApiProperty() accounts: number;
  @ApiProperty({
    type: 'object',
    additionalProperties: { type: 'string' },
    example: { CNY: '125000.00' },
    description: 'Sum of the bank closing balances per currency (amounts of different currencies are never added)',
  })
  bankClosing: Record<string, string>;
}

export class DistrictTotalsDto {
  @ApiProperty({ type: StatusTotalsDto }) reconciled: StatusTotalsDto;
  @ApiProperty({ type: StatusTotalsDto }) reconciled_in_transit: StatusTotalsDto;
  @ApiProperty({ type: StatusTotalsDto }) broken: StatusTotalsDto;
  @ApiProperty({ type: StatusTotalsDto }) missing: StatusTotalsDto;
}

export class DistrictSummaryDto {
  @ApiProperty({ example: '310117' }) districtCode: string;
  @ApiProperty({ example: '2026-12-04' }) date: string;
  @ApiProperty({ type: DistrictTotalsDto }) totals: DistrictTotalsDto;
  @ApiProperty({ type: [AccountDayDto], description: 'Escrow accounts of the district by status (broken, missing, reconciled with items in transit, reconciled)' })
  accounts: AccountDayDto[];
}

export class ExceptionDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ enum: EXCEPTION_TYPES }) type: string;
  @ApiProperty({ enum: EXCEPTION_STATES, description: 'accepted: a timing difference acknowledged, not yet cleared (it still explains the balance)' }) state: string;
  @ApiProperty({ format: 'uuid' }) escrowAccountId: string;
  @ApiProperty({ format: 'uuid' }) institutionId: string;
  @ApiProperty({ example: '310117' }) districtCode: string;
  @ApiProperty({ example: '2026-12-04' }) businessDate: string;
  @ApiProperty(money('Unsigned amount of the difference')) amount: string;
  @ApiProperty(money('Bank minus ledger, signed: what an adjustment would post to bank cash')) effect: string;
  @ApiProperty({ example: 'CNY' }) currency: string;
  @ApiProperty({ nullable: true, type: String, format: 'uuid' }) statementId: string | null;
  @ApiProperty({ nullable: true, type: Number }) line: number | null;
  @ApiProperty({ nullable: true, type: String }) bankReference: string | null;
  @ApiProperty({ nullable: true, type: String, enum: RECORD_SOURCES }) source: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'uuid' }) recordId: string | null;
  @ApiProperty({ nullable: true, type: String }) platformReference: string | null;
  @ApiProperty({ description: 'Days since the business day (until it was resolved)' }) ageDays: number;
  @ApiProperty({ type: Object }) details: Record<string, unknown>;
  @ApiProperty() createdAt: string;
}

export class ExceptionPageDto {
  @ApiProperty({ type: [ExceptionDto] }) items: ExceptionDto[];
  @ApiProperty({ nullable: true, type: String }) nextCursor: string | null;
}

export class ResolutionDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ format: 'uuid' }) exceptionId: string;
  @ApiProperty({ enum: ['manual_match', 'timing_difference', 'adjustment', 'apply_credit', 'auto_match', 'superseded', 'reversal'] }) action: string;
  @ApiProperty() reason: string;
  @ApiProperty({ description: 'API key id of the person, or "system"' }) actor: string;
  @ApiProperty({ example: 'regulator' }) actorRole: string;
  @ApiProperty({ nullable: true, type: String, format: 'uuid' }) matchGroupId: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'uuid' }) adjustmentId: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'uuid' }) creditId: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'uuid', description: 'The resolution this one reverses' }) reversesId: string | null;
  @ApiProperty({ nullable: true, type: String, format: 'uuid', description: 'The later resolution that reversed this one' }) reversedById: string | null;
  @ApiProperty() createdAt: string;
}

export class MatchDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ format: 'uuid' }) groupId: string;
  @ApiProperty() part: number;
  @ApiProperty() parts: number;
  @ApiProperty({ format: 'uuid' }) statementId: string;
  @ApiProperty() line: number;
  @ApiProperty({ example: '2026-12-04' }) bankDate: string;
  @ApiProperty(money('Signed (credit positive)')) bankAmount: string;
  @ApiProperty({ enum: RECORD_SOURCES }) source: string;
  @ApiProperty({ format: 'uuid' }) recordId: string;
  @ApiProperty(money('Signed (credit positive)')) recordAmount: string;
  @ApiProperty(money('bankAmount − recordAmount (a partial payment is not zero)')) difference: string;
  @ApiProperty({ enum: ['reference', 'batch', 'amount_date', 'manual', 'auto'] }) method: string;
  @ApiProperty({ nullable: true, type: String, format: 'uuid' }) resolutionId: string | null;
  @ApiProperty() createdAt: string;
  @ApiProperty({ nullable: true, type: String }) reversedAt: string | null;
  @ApiProperty({ nullable: true, type: String }) reversalReason: string | null;
}

export class AdjustmentDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ format: 'uuid' }) exceptionId: string;
  @ApiProperty({ format: 'uuid' }) escrowAccountId: string;
  @ApiProperty(money('Signed: positive raises the ledger’s bank cash')) amount: string;
  @ApiProperty({ example: 'CNY' }) currency: string;
  @ApiProperty() reason: string;
  @ApiProperty({ enum: ['proposed', 'approved'] }) state: string;
  @ApiProperty() proposedBy: string;
  @ApiProperty() proposedAt: string;
  @ApiProperty({ nullable: true, type: String }) approvedBy: string | null;
  @ApiProperty({ nullable: true, type: String }) approvedAt: string | null;
  @ApiProperty({ nullable: true, type: String, description: 'The ledger adjustment transaction, once approved' }) ledgerTransactionId: string | null;
}

export class ExceptionDetailDto extends ExceptionDto {
  @ApiProperty({ type: [ResolutionDto], description: 'Oldest first; nothing is edited, a reversal is a later resolution' }) resolutions: ResolutionDto[];
  @ApiProperty({ type: [MatchDto], description: 'Matches of its bank line or platform record, reversed ones included' }) matches: MatchDto[];
  @ApiProperty({ type: [AdjustmentDto] }) adjustments: AdjustmentDto[];
}

export class ResolutionOutcomeDto {
  @ApiProperty({ type: ExceptionDto, description: 'The exception afterwards' }) exception: ExceptionDto;
  @ApiProperty({ nullable: true, type: ResolutionDto, description: 'The resolution recorded (null for a proposed adjustment)' }) resolution: ResolutionDto | null;
  @ApiProperty({ nullable: true, type: AdjustmentDto, description: 'The adjustment proposed or approved' }) adjustment: AdjustmentDto | null;
}

export class RunDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ format: 'uuid' }) statementId: string;
  @ApiProperty({ format: 'uuid' }) escrowAccountId: string;
  @ApiProperty({ example: '2026-12-04' }) businessDate: string;
  @ApiProperty({ enum: ['reconciled', 'reconciled_in_transit', 'broken', 'inconsistent', 'superseded', 'deferred'] }) status: string;
  @ApiProperty(money('Signed')) bankClosing: string;
  @ApiProperty(money('Ledger bank cash at the end of the day', true)) ledgerBalance: string | null;
  @ApiProperty(money('Signed sum of records in transit', true)) inTransit: string | null;
  @ApiProperty(money('bankClosing − ledgerBalance', true)) difference: string | null;
  @ApiProperty(money('What no item explains (a balance break when not zero)', true)) residual: string | null;
  @ApiProperty() matchedLines: number;
  @ApiProperty() exceptions: number;
  @ApiProperty() createdAt: string;
}
