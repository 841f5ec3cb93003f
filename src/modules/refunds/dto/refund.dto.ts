import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, Length, ValidateIf } from 'class-validator';
import { IsCalendarDate } from '@common/http/date-input';
import { IsAmount } from '@common/money/is-amount.decorator';
import { RefundComputation } from '../refund-amounts';
import { REFUND_STATES } from '../refund-state-machine';
import { RefundRow } from '../refunds.repository';

export class RefundRequestDto {
  @ApiProperty({ example: '孩子转学，不再上课', description: 'Why the payer asks for the refund (the amount is computed, never typed)' })
  @IsString()
  @Length(2, 1000)
  reason: string;
}

export class ContestRefundDto {
  @ApiProperty({ example: 'The payer agreed to a transfer instead' }) @IsString() @Length(2, 1000) reason: string;
}

export class RefundDecisionDto {
  @ApiProperty({ enum: ['full', 'partial', 'refuse'] }) @IsIn(['full', 'partial', 'refuse']) decision: 'full' | 'partial' | 'refuse';
  @ApiPropertyOptional({ example: '1200.00', description: 'Required for a partial decision (less than the full refund); not allowed otherwise' })
  @ValidateIf((o: RefundDecisionDto) => o.decision === 'partial' || o.amount !== undefined)
  @IsAmount({ positive: true })
  amount?: string;
  @ApiProperty({ example: 'Materials were handed out; 3 lessons of materials are kept' }) @IsString() @Length(2, 1000) reason: string;
}

export class RefundListQuery {
  @ApiPropertyOptional({ enum: REFUND_STATES }) @IsOptional() @IsIn([...REFUND_STATES]) state?: string;
}

export class RunRefundDeadlinesDto {
  @ApiPropertyOptional({ example: '2026-12-14', description: 'The day to act for (default: today, China time)' })
  @IsOptional()
  @IsCalendarDate()
  today?: string;
}

export class RefundComputationDto {
  @ApiProperty({ enum: ['before_start', 'after_start'], description: 'before_start: no lesson consumed, everything paid in comes back' }) phase: string;
  @ApiProperty({ example: 48 }) lessons: number;
  @ApiProperty({ example: 17 }) lessonsConsumed: number;
  @ApiProperty({ example: '3935.16', description: 'The consumed lessons at the contract’s allocation (they stay with the institution)' }) consumedAmount: string;
  @ApiProperty({ example: 31 }) remainingLessons: number;
  @ApiProperty({ example: '11111.11' }) paidIn: string;
  @ApiProperty({ example: '7175.95', description: 'The exact sum of the remaining lessons’ amounts (before the start: everything paid in)' }) refund: string;

  static from(c: RefundComputation): RefundComputationDto {
    return {
      phase: c.phase,
      lessons: c.lessons,
      lessonsConsumed: c.lessonsConsumed,
      consumedAmount: c.consumedAmount.toString(),
      remainingLessons: c.remainingLessons,
      paidIn: c.paidIn.toString(),
      refund: c.refund.toString(),
    };
  }
}

/** An account number shown by its last four digits only. */
const maskAccount = (n: string) => (n.length <= 4 ? n : `${'*'.repeat(Math.min(n.length - 4, 12))}${n.slice(-4)}`);

export class RefundDto {
  @ApiProperty() id: string;
  @ApiProperty() contractId: string;
  @ApiProperty() institutionId: string;
  @ApiProperty({ enum: REFUND_STATES }) state: string;
  @ApiProperty() reason: string;
  @ApiProperty({ description: 'The institution answers by this day (working days of the contract’s policy); silence is approval' }) respondBy: string;
  @ApiProperty({ type: RefundComputationDto, description: 'As computed at the request, and again at the approval (the figures the refund was paid on)' })
  computation: RefundComputationDto;
  @ApiProperty({ nullable: true, example: '7175.95', description: 'The approved amount (a regulator’s partial decision may be less than computed)' }) amount: string | null;
  @ApiProperty() currency: string;
  @ApiProperty({ nullable: true, enum: ['institution', 'deemed', 'regulator', 'admin'] }) approval: string | null;
  @ApiProperty({ nullable: true }) approvedAt: string | null;
  @ApiProperty({ nullable: true, description: 'Paid to the payer by this day (the policy’s days before / after the start)' }) payBy: string | null;
  @ApiProperty({ nullable: true }) contestReason: string | null;
  @ApiProperty({ nullable: true, enum: ['full', 'partial', 'refuse'] }) decision: string | null;
  @ApiProperty({ nullable: true }) decisionReason: string | null;
  @ApiProperty({ description: 'The payer’s original account (of the first payment), masked' }) payee: { bank: string | null; accountNumber: string; accountName: string | null };
  @ApiProperty({ nullable: true, description: 'The refund money movement (held → refund payable, delivered to the bank)' }) movementId: string | null;
  @ApiProperty() requestedAt: string;

  static from(r: RefundRow): RefundDto {
    return {
      id: r.id,
      contractId: r.contract_id,
      institutionId: r.institution_id,
      state: r.state,
      reason: r.reason,
      respondBy: r.respond_by,
      computation: {
        phase: r.phase,
        lessons: r.lessons,
        lessonsConsumed: r.lessons_consumed,
        consumedAmount: r.consumed_amount,
        remainingLessons: r.lessons - r.lessons_consumed,
        paidIn: r.paid_in,
        refund: r.computed_amount,
      },
      amount: r.amount,
      currency: r.currency,
      approval: r.approval,
      approvedAt: r.approved_at ? new Date(r.approved_at).toISOString() : null,
      payBy: r.pay_by,
      contestReason: r.contest_reason,
      decision: r.decision,
      decisionReason: r.decision_reason,
      payee: { bank: r.payee_bank, accountNumber: maskAccount(r.payee_account_number), accountName: r.payee_account_name },
      movementId: r.movement_id,
      requestedAt: new Date(r.created_at).toISOString(),
    };
  }
}

export class PayerRefundsDto {
  @ApiProperty({ example: 'HT20261122A1B2C3D4' }) contractReference: string;
  @ApiProperty() contractState: string;
  @ApiProperty({ type: RefundComputationDto, nullable: true, description: 'What a refund would be now (null once the contract can no longer be refunded)' })
  quote: RefundComputationDto | null;
  @ApiProperty({ type: [RefundDto] }) refunds: RefundDto[];
}
