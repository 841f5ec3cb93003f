import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsAmount } from '@common/money/is-amount.decorator';
import type { Percent } from '../policy-rules';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsIn, IsInt, IsOptional, IsString, Length, Matches, Max, Min } from 'class-validator';
import { IsCalendarDate } from '@common/http/date-input';
import { NestedObject } from '@common/http/field-rules';
import { TRANCHE_FRACTIONS } from '../policy-rules';


class PriceCapDto {
  @ApiProperty({ enum: ['subject', 'non_subject'] }) @IsIn(['subject', 'non_subject']) category: 'subject' | 'non_subject';
  @ApiProperty({ enum: ['small', 'medium', 'large'], description: '<10 / 10-35 / >35 students' }) @IsIn(['small', 'medium', 'large']) classSizeBand: 'small' | 'medium' | 'large';
  @ApiProperty({ example: '80.00' }) @IsAmount({ positive: true }) maxPricePerHour: string;
}

class TrancheDto {
  @ApiProperty({ example: '1/3', enum: TRANCHE_FRACTIONS }) @IsIn(TRANCHE_FRACTIONS as unknown as string[]) atFraction: string;
  @ApiProperty({ example: 30 }) @IsInt() @Min(1) @Max(100) percent: Percent;
}

class ReleaseCadenceDto {
  @ApiProperty({ enum: ['per_lesson', 'weekly', 'tranches', 'after_completion'] }) @IsIn(['per_lesson', 'weekly', 'tranches', 'after_completion']) kind: string;
  @ApiPropertyOptional() @IsOptional() @IsInt() @Min(0) @Max(60) paymentDelayDays?: number;
  @ApiPropertyOptional({ type: [TrancheDto] }) @IsOptional() @IsArray() @ArrayMaxSize(10) @NestedObject(() => TrancheDto, { each: true }) tranches?: TrancheDto[];
  @ApiPropertyOptional() @IsOptional() @IsInt() @Min(0) @Max(120) workingDays?: number;
}

class PeriodicReleaseDto {
  @ApiProperty({ enum: ['time_based', 'lesson_pack'], isArray: true, example: ['time_based'] })
  @IsArray() @ArrayMinSize(1) @ArrayMaxSize(2) @IsIn(['time_based', 'lesson_pack'], { each: true })
  courseKinds: ('time_based' | 'lesson_pack')[];
  @ApiProperty({ enum: ['monthly', 'weekly'] }) @IsIn(['monthly', 'weekly']) frequency: 'monthly' | 'weekly';
}

class InstalmentDebitsDto {
  @ApiProperty({ example: 3, description: 'Days before a debit the payer is told' }) @IsInt() @Min(0) @Max(30) preNotificationDays: number;
  @ApiProperty({ example: 2, description: 'Retries after a failed debit before the instalment fails' }) @IsInt() @Min(0) @Max(10) retries: number;
  @ApiProperty({ example: 3 }) @IsInt() @Min(1) @Max(30) retryDelayDays: number;
}

class AlertsDto {
  @ApiProperty({ example: '300000.00' }) @IsAmount() balanceFloor: string;
  @ApiProperty({ example: '100000.00' }) @IsAmount() newInstitutionBalanceFloor: string;
  @ApiProperty({ example: '1000000.00' }) @IsAmount({ positive: true }) dailyOutflow: string;
  @ApiProperty({ example: '2000000.00' }) @IsAmount({ positive: true }) weeklyOutflow: string;
  @ApiProperty({ example: 10 }) @IsInt() @Min(1) @Max(100) singleMovementPercent: Percent;
  @ApiPropertyOptional({ example: 12, description: 'Months after its registration during which an institution is new (its floor is newInstitutionBalanceFloor); default 12' })
  @IsOptional()
  @IsInt()
  @Min(1)
  @Max(120)
  newInstitutionMonths?: number;
}

class PolicyRulesDto {
  @ApiProperty({ example: 60 }) @IsInt() @Min(1) @Max(500) maxPrepaidLessons: number;
  @ApiProperty({ example: 3 }) @IsInt() @Min(1) @Max(24) maxPrepaidMonths: number;
  @ApiProperty({ example: 1 }) @IsInt() @Min(0) @Max(12) earliestCollectionMonthsBeforeStart: number;
  @ApiProperty({ example: '5000.00' }) @IsAmount({ positive: true }) maxSinglePaymentNonSubject: string;
  @ApiProperty({ type: [PriceCapDto] }) @IsArray() @ArrayMaxSize(12) @NestedObject(() => PriceCapDto, { each: true }) priceCaps: PriceCapDto[];
  @ApiProperty({ example: 10 }) @IsInt() @Min(0) @Max(100) priceMarkupPercent: Percent;
  @ApiProperty({ example: 7 }) @IsInt() @Min(0) @Max(60) coolingOffDays: number;
  @ApiProperty({ example: 15 }) @IsInt() @Min(1) @Max(60) deemedConfirmationWorkingDays: number;
  @ApiProperty({ example: 5 }) @IsInt() @Min(1) @Max(60) refundResponseWorkingDays: number;
  @ApiProperty({ example: 5 }) @IsInt() @Min(1) @Max(60) refundDeadlineBeforeStartDays: number;
  @ApiProperty({ example: 15 }) @IsInt() @Min(1) @Max(90) refundDeadlineAfterStartDays: number;
  @ApiPropertyOptional({ example: 15, description: 'Days a suspense item may wait for its resolution (default 15)' }) @IsOptional() @IsInt() @Min(1) @Max(365) suspenseResolutionDays?: number;
  @ApiPropertyOptional({ example: 1, description: 'Months of notice before a planned closure (default 1)' }) @IsOptional() @IsInt() @Min(0) @Max(12) closureNoticeMonths?: number;
  @ApiProperty({ type: ReleaseCadenceDto, description: 'Only the parameter of its kind: weekly → paymentDelayDays, tranches → tranches (increasing, the last at "1", percentages adding up to 100), after_completion → workingDays (400 INVALID_RELEASE_CADENCE otherwise)' })
  @NestedObject(() => ReleaseCadenceDto)
  releaseCadence: ReleaseCadenceDto;
  @ApiPropertyOptional({ type: PeriodicReleaseDto, description: 'Courses of these kinds are released on a schedule (scheduled bank deduction) instead of by releaseCadence; absent: none' })
  @IsOptional()
  @NestedObject(() => PeriodicReleaseDto)
  periodicRelease?: PeriodicReleaseDto;
  @ApiPropertyOptional({ type: InstalmentDebitsDto, description: 'Instalment debits: notice, retries (default 3 days, 2 retries 3 days apart)' })
  @IsOptional()
  @NestedObject(() => InstalmentDebitsDto)
  instalmentDebits?: InstalmentDebitsDto;
  @ApiProperty({ example: 3 }) @IsInt() @Min(0) @Max(24) riskReserveMonths: number;
  @ApiProperty({ type: AlertsDto }) @NestedObject(() => AlertsDto) alerts: AlertsDto;
}

export class PublishPolicyDto {
  @ApiProperty({ example: '310117', description: '6-digit code, or 000000 for the national default (admin)' }) @Matches(/^\d{6}$/) code: string;
  @ApiProperty({ example: '2027-01-01', description: 'Today (China time) or later: history never changes' }) @IsCalendarDate() effectiveFrom: string;
  @ApiProperty({ type: PolicyRulesDto }) @NestedObject(() => PolicyRulesDto) rules: PolicyRulesDto;
  @ApiPropertyOptional() @IsOptional() @IsString() @Length(1, 500) note?: string;
}

export class ResolveQueryDto {
  @ApiProperty({ example: '310117' }) @Matches(/^\d{6}$/) district: string;
  @ApiPropertyOptional({ example: '2026-12-01' }) @IsOptional() @IsCalendarDate() date?: string;
}

export class PolicyDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() code: string;
  @ApiProperty() version: number;
  @ApiProperty() effectiveFrom: string;
  @ApiProperty({ type: PolicyRulesDto }) rules: unknown;
  @ApiProperty({ nullable: true, type: String }) note: string | null;
  @ApiProperty() publishedAt: string;
}
