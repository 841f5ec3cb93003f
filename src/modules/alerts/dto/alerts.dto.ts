import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, IsUUID, Length, Matches } from 'class-validator';
import { PageQueryDto } from '@common/http/pagination';
import { ALERT_TYPES } from '../alert-rules';

const STATES = ['open', 'acknowledged', 'resolved'] as const;
const SEVERITIES = ['info', 'warning', 'critical'] as const;

export class AlertsQueryDto extends PageQueryDto {
  @ApiPropertyOptional({ enum: STATES }) @IsOptional() @IsIn(STATES) state?: (typeof STATES)[number];
  @ApiPropertyOptional({ enum: SEVERITIES }) @IsOptional() @IsIn(SEVERITIES) severity?: (typeof SEVERITIES)[number];
  @ApiPropertyOptional({ enum: ALERT_TYPES }) @IsOptional() @IsIn(ALERT_TYPES) type?: string;
  @ApiPropertyOptional({ format: 'uuid' }) @IsOptional() @IsUUID() institutionId?: string;
  @ApiPropertyOptional({ example: '310117', description: 'One district of your jurisdiction' })
  @IsOptional()
  @Matches(/^\d{6}$/, { message: 'districtCode must be a 6-digit administrative code' })
  districtCode?: string;
}

export class AlertReasonDto {
  @ApiProperty({ example: 'Called the institution; the bank transfer is on its way' }) @IsString() @Length(2, 1000) reason: string;
}

export class AlertDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ enum: ALERT_TYPES }) type: string;
  @ApiProperty({ enum: SEVERITIES }) severity: string;
  @ApiProperty({ enum: STATES }) state: string;
  @ApiProperty({ format: 'uuid' }) institutionId: string;
  @ApiProperty() institutionName: string;
  @ApiProperty({ example: '310117' }) districtCode: string;
  @ApiProperty({ type: Object, description: 'What triggered it, each value a string (amounts are decimal strings)', example: { currency: 'CNY', day: '2026-12-02', outflow: '1000000.01', limit: '1000000.00' } })
  figures: Record<string, string>;
  @ApiProperty({ nullable: true, type: Number, description: 'Version of the policy applied (its code is policyCode); null for an alert no policy figure decides' })
  policyVersion: number | null;
  @ApiProperty({ nullable: true, type: String, example: '310000' }) policyCode: string | null;
  @ApiProperty() openedAt: string;
  @ApiProperty({ nullable: true, type: String }) acknowledgedAt: string | null;
  @ApiProperty({ nullable: true, type: String }) acknowledgedBy: string | null;
  @ApiProperty({ nullable: true, type: String }) acknowledgeReason: string | null;
  @ApiProperty({ nullable: true, type: String }) resolvedAt: string | null;
  @ApiProperty({ nullable: true, type: String }) resolvedBy: string | null;
  @ApiProperty({ nullable: true, type: String }) resolveReason: string | null;
}

export class AlertPageDto {
  @ApiProperty({ type: [AlertDto] }) items: AlertDto[];
  @ApiProperty({ nullable: true, type: String }) nextCursor: string | null;
}
