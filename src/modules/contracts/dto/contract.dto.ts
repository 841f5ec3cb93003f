import { IsAmount } from '@common/money/is-amount.decorator';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsInt, IsOptional, IsString, IsUUID, Length, Matches, Max, Min } from 'class-validator';
import { NestedObject } from '@common/http/field-rules';
import { maskPhone } from '@modules/institutions/dto/institution.dto';
import type { ReleaseCadence } from '@modules/policies/policy-rules';
import { CONTRACT_STATES } from '../contract-state-machine';
import { ContractRow } from '../contract.types';
import { ContractsService } from '../contracts.service';
import { IsCalendarDate } from '@common/http/date-input';

export class InstalmentDto {
  @ApiProperty({ example: '2027-01-01' }) @IsCalendarDate() coversFrom: string;
  @ApiProperty({ example: '2027-03-31', description: 'Inclusive' }) @IsCalendarDate() coversTo: string;
  @ApiProperty({ example: 12 }) @IsInt() @Min(0) @Max(1000) lessons: number;
  @ApiProperty({ example: '3000.00' }) @IsAmount({ positive: true }) amount: string;
  @ApiProperty({ example: '2026-12-20', description: 'The debit day: no earlier than the policy allows before its period, at the latest its first day' }) @IsCalendarDate() collectionDate: string;
}

export class MandateDto {
  @ApiProperty({ example: 'CMB-SH' }) @IsString() @Length(1, 40) bank: string;
  @ApiProperty({ example: '6225880012345678' }) @Matches(/^[0-9A-Za-z]{4,34}$/, { message: 'accountNumber must be 4 to 34 letters or digits' }) accountNumber: string;
  @ApiProperty({ example: '陈女士' }) @IsString() @Length(1, 100) accountName: string;
}

export class InstalmentPlanDto {
  @ApiProperty({ type: [InstalmentDto] }) @IsArray() @ArrayMinSize(1) @ArrayMaxSize(36) @NestedObject(() => InstalmentDto, { each: true }) instalments: InstalmentDto[];
  @ApiProperty({ type: MandateDto, description: "The payer's mandate: the account the bank debits" }) @NestedObject(() => MandateDto) mandate: MandateDto;
}

export class SignContractDto {
  @ApiProperty({ format: 'uuid' }) @IsUUID() courseId: string;
  @ApiProperty({ example: '陈女士' }) @IsString() @Length(1, 100) payerName: string;
  @ApiProperty({ example: '13612345678' }) @Matches(/^\+?[0-9][0-9 -]{5,19}$/, { message: 'payerPhone must be a phone number' }) payerPhone: string;
  @ApiPropertyOptional({ description: 'Resident ID number: only a hash is stored' }) @IsOptional() @Matches(/^[0-9]{17}[0-9Xx]$/, { message: 'payerIdNumber must be an 18-character resident ID number' }) payerIdNumber?: string;
  @ApiProperty({ example: '陈小明' }) @IsString() @Length(1, 100) studentName: string;
  @ApiProperty({ example: 48 }) @IsInt() @Min(1) @Max(1000) lessons: number;
  @ApiProperty({ example: '2026-12-01' }) @IsCalendarDate() startDate: string;
  @ApiProperty({ example: '2027-02-28', description: 'Last day of service (inclusive)' }) @IsCalendarDate() endDate: string;
  @ApiProperty({ example: '11111.11', description: 'Decimal string; a discount is allowed' }) @IsAmount() totalPrice: string;
  @ApiPropertyOptional({ example: 'GF-2021-2604' }) @IsOptional() @IsString() @Length(1, 40) modelContractVersion?: string;
  @ApiPropertyOptional({ type: InstalmentPlanDto, description: 'A course longer than the prepaid caps, in instalments: each meets the caps; they add up to the price and cover the contract' })
  @IsOptional()
  @NestedObject(() => InstalmentPlanDto)
  instalmentPlan?: InstalmentPlanDto;
}

export class ContractDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ example: 'HT20261122A1B2C3D4', description: 'The payer reference the bank quotes' }) reference: string;
  @ApiProperty({ format: 'uuid' }) institutionId: string;
  @ApiProperty({ format: 'uuid' }) courseId: string;
  @ApiProperty({ format: 'uuid' }) escrowAccountId: string;
  @ApiProperty() payerName: string;
  @ApiProperty({ example: '136****5678' }) payerPhone: string;
  @ApiProperty() studentName: string;
  @ApiProperty() lessons: number;
  @ApiProperty({ description: 'Lessons consumed so far (withdrawn ones excluded)' }) lessonsConsumed: number;
  @ApiProperty({ example: '462.96', description: 'What the consumed lessons cost, by the exact allocation' }) amountConsumed: string;
  @ApiProperty() startDate: string;
  @ApiProperty() endDate: string;
  @ApiProperty({ example: '11111.11' }) totalPrice: string;
  @ApiProperty({ example: '0.00' }) amountPaid: string;
  @ApiProperty() currency: string;
  @ApiProperty({ description: 'Each lesson is an exact share of the total; the last takes the remainder', example: { count: 48, regular: '231.48', last: '231.55' } })
  lessonAmounts: { count: number; regular: string; last: string };
  @ApiProperty({ example: { id: '…', code: '310000', version: 1 } }) policy: { id: string; code: string; version: number };
  @ApiProperty({
    description: 'The terms of that policy version, fixed at signing',
    example: { deemedConfirmationWorkingDays: 15, releaseCadence: { kind: 'per_lesson' }, refundResponseWorkingDays: 5, refundDaysBeforeStart: 5, refundDaysAfterStart: 15 },
  })
  terms: { deemedConfirmationWorkingDays: number; releaseCadence: ReleaseCadence; refundResponseWorkingDays: number; refundDaysBeforeStart: number; refundDaysAfterStart: number };
  @ApiProperty() modelContractVersion: string;
  @ApiProperty({ enum: CONTRACT_STATES, description: 'awaiting_payment → active (paid in full) → completed (every lesson released) → closed; a refund: → terminated (approved) → refunded (paid by the bank)' }) state: string;
  @ApiProperty() payerTokenActive: boolean;
  @ApiProperty() createdAt: string;

  static from(c: ContractRow): ContractDto {
    return {
      id: c.id,
      reference: c.reference,
      institutionId: c.institution_id,
      courseId: c.course_id,
      escrowAccountId: c.escrow_account_id,
      payerName: c.payer_name,
      payerPhone: maskPhone(c.payer_phone),
      studentName: c.student_name,
      lessons: c.lessons,
      lessonsConsumed: c.lessons_consumed,
      amountConsumed: c.amount_consumed,
      startDate: c.start_date,
      endDate: c.end_date,
      totalPrice: c.total_price,
      amountPaid: c.amount_paid,
      currency: c.currency,
      lessonAmounts: ContractsService.lessonAmounts(c),
      policy: { id: c.policy_id, code: c.policy_code, version: c.policy_version },
      terms: {
        deemedConfirmationWorkingDays: c.deemed_confirmation_days,
        releaseCadence: c.release_cadence,
        refundResponseWorkingDays: c.refund_response_working_days,
        refundDaysBeforeStart: c.refund_days_before_start,
        refundDaysAfterStart: c.refund_days_after_start,
      },
      modelContractVersion: c.model_contract_version,
      state: c.state,
      payerTokenActive: c.payer_token_revoked_at === null,
      createdAt: new Date(c.created_at).toISOString(),
    };
  }
}

export class SignedContractDto extends ContractDto {
  @ApiProperty({ description: 'The payer access token for this contract, shown once' }) payerToken: string;
}
