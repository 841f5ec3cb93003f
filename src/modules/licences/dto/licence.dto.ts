import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsInt, IsOptional, IsString, Length, Max, Min } from 'class-validator';
import { IsCalendarDate } from '@common/http/date-input';
import { LICENCE_STATES } from '../licence-state-machine';
import { Licence } from '../licences.repository';

export class StartReviewDto {
  @ApiProperty({ example: '教民131011700001号' }) @IsString() @Length(3, 60) licenceNumber: string;
  @ApiProperty({ example: '2026-01-01' }) @IsCalendarDate() validFrom: string;
  @ApiProperty({ example: '2028-12-31' }) @IsCalendarDate() validTo: string;
}

export class ReasonDto {
  @ApiProperty() @IsString() @Length(2, 1000) reason: string;
}

export class OptionalReasonDto {
  @ApiPropertyOptional() @IsOptional() @IsString() @Length(2, 1000) reason?: string;
}

export class SuspendDto extends ReasonDto {
  @ApiPropertyOptional({ example: '2027-03-31' }) @IsOptional() @IsCalendarDate() until?: string;
}

export class ApproveDto {
  @ApiPropertyOptional() @IsOptional() @IsString() @Length(1, 1000) comment?: string;
}

export class ReviewSettingsDto {
  @ApiProperty({ minimum: 1, maximum: 10, example: 2 }) @IsInt() @Min(1) @Max(10) requiredApprovals: number;
}

export class LicenceDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ format: 'uuid' }) institutionId: string;
  @ApiProperty({ enum: LICENCE_STATES }) state: string;
  @ApiProperty({ nullable: true, type: String }) licenceNumber: string | null;
  @ApiProperty({ nullable: true, type: String }) validFrom: string | null;
  @ApiProperty({ nullable: true, type: String }) validTo: string | null;
  @ApiProperty({ nullable: true, type: Number }) requiredApprovals: number | null;
  @ApiProperty({ nullable: true, type: String }) previousLicenceId: string | null;
  @ApiProperty({ nullable: true, type: String }) stateReason: string | null;
  @ApiProperty({ nullable: true, type: String }) suspendedUntil: string | null;
  @ApiPropertyOptional({ type: [Object] }) approvals?: { approverId: string; approvedAt: string; comment: string | null }[];
  @ApiPropertyOptional({ type: [Object] }) transitions?: { action: string; from: string | null; to: string; reason: string | null; actorId: string | null; at: string }[];

  static from(l: Licence): LicenceDto {
    return {
      id: l.id,
      institutionId: l.institutionId,
      state: l.state,
      licenceNumber: l.licenceNumber,
      validFrom: l.validFrom,
      validTo: l.validTo,
      requiredApprovals: l.requiredApprovals,
      previousLicenceId: l.previousLicenceId,
      stateReason: l.stateReason,
      suspendedUntil: l.suspendedUntil,
    };
  }
}

export class ApprovalResultDto {
  @ApiProperty({ type: LicenceDto }) licence: LicenceDto;
  @ApiProperty() approvals: number;
  @ApiProperty() required: number;
}
