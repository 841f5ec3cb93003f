import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsString, Length, Matches } from 'class-validator';
import { IsCalendarDate } from '@common/http/date-input';
import { OmittableNotNull } from '@common/http/field-rules';
import { Institution } from '../institutions.repository';

const CATEGORIES = ['subject', 'non_subject'];
const PROFIT = ['for_profit', 'non_profit'];
const PHONE = /^\+?[0-9][0-9 -]{5,19}$/;

export class RegisterInstitutionDto {
  @ApiProperty({ example: '上海启明星教育培训有限公司' }) @IsString() @Length(2, 200) name: string;
  @ApiProperty({ example: '91440300708461136T', description: 'Unified social credit code (GB 32100-2015)' })
  @IsString()
  @Length(18, 30)
  uscc: string;
  @ApiProperty({ example: '310117' }) @Matches(/^\d{6}$/, { message: 'districtCode must be a 6-digit code' }) districtCode: string;
  @ApiProperty({ enum: CATEGORIES }) @IsIn(CATEGORIES) category: Institution['category'];
  @ApiProperty({ enum: PROFIT }) @IsIn(PROFIT) profitType: Institution['profitType'];
  @ApiProperty({ example: '上海市松江区人民北路 100 号' }) @IsString() @Length(2, 300) address: string;
  @ApiProperty({ example: '张三' }) @IsString() @Length(1, 100) legalRepresentative: string;
  @ApiProperty({ example: '李四' }) @IsString() @Length(1, 100) contactName: string;
  @ApiProperty({ example: '13812345678' }) @Matches(PHONE, { message: 'contactPhone must be a phone number' }) contactPhone: string;
}

/** Every field may be left out (kept as it is); none may be cleared with `null` (400). */
export class UpdateInstitutionDto {
  @ApiPropertyOptional({ example: '上海启明星教育培训有限公司' }) @OmittableNotNull() @IsString() @Length(2, 200) name?: string;
  @ApiPropertyOptional({ enum: CATEGORIES }) @OmittableNotNull() @IsIn(CATEGORIES) category?: Institution['category'];
  @ApiPropertyOptional({ enum: PROFIT }) @OmittableNotNull() @IsIn(PROFIT) profitType?: Institution['profitType'];
  @ApiPropertyOptional({ example: '上海市松江区人民北路 100 号' }) @OmittableNotNull() @IsString() @Length(2, 300) address?: string;
  @ApiPropertyOptional({ example: '张三' }) @OmittableNotNull() @IsString() @Length(1, 100) legalRepresentative?: string;
  @ApiPropertyOptional({ example: '李四' }) @OmittableNotNull() @IsString() @Length(1, 100) contactName?: string;
  @ApiPropertyOptional({ example: '13812345678' }) @OmittableNotNull() @Matches(PHONE, { message: 'contactPhone must be a phone number' }) contactPhone?: string;
  @ApiPropertyOptional({ example: 'BOC-SH', description: 'Bank of the basic account where releases are paid (a change raises a PAYOUT_ACCOUNT_CHANGED supervision event)' })
  @OmittableNotNull()
  @IsString()
  @Length(2, 40)
  basicAccountBank?: string;
  @ApiPropertyOptional({ example: '4567891230001', description: 'The basic account where releases are paid (a change raises a PAYOUT_ACCOUNT_CHANGED supervision event)' })
  @OmittableNotNull()
  @Matches(/^[0-9A-Za-z-]{6,40}$/, { message: 'basicAccountNumber must be 6-40 letters, digits or dashes' })
  basicAccountNumber?: string;
}

export class ClosingDto {
  @ApiProperty() @IsString() @Length(2, 500) reason: string;
  @ApiProperty({ example: '2027-01-31' }) @IsCalendarDate() plannedClosureDate: string;
}

/** Phone numbers are masked in answers: 138****5678. */
export function maskPhone(phone: string): string {
  const digits = phone.replace(/\D/g, '');
  if (digits.length < 7) return '****';
  return `${digits.slice(0, 3)}****${digits.slice(-4)}`;
}

export class InstitutionDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() name: string;
  @ApiProperty() uscc: string;
  @ApiProperty() districtCode: string;
  @ApiProperty({ enum: CATEGORIES }) category: string;
  @ApiProperty({ enum: PROFIT }) profitType: string;
  @ApiProperty() address: string;
  @ApiProperty() legalRepresentative: string;
  @ApiProperty() contactName: string;
  @ApiProperty({ example: '138****5678' }) contactPhone: string;
  @ApiProperty({ enum: ['operating', 'closing', 'closed'] }) status: string;
  @ApiProperty() createdAt: string;
  @ApiProperty() updatedAt: string;

  static from(i: Institution): InstitutionDto {
    return {
      id: i.id,
      name: i.name,
      uscc: i.uscc,
      districtCode: i.districtCode,
      category: i.category,
      profitType: i.profitType,
      address: i.address,
      legalRepresentative: i.legalRepresentative,
      contactName: i.contactName,
      contactPhone: maskPhone(i.contactPhone),
      status: i.status,
      createdAt: new Date(i.createdAt).toISOString(),
      updatedAt: new Date(i.updatedAt).toISOString(),
    };
  }
}

export class InstitutionPageDto {
  @ApiProperty({ type: [InstitutionDto] }) items: InstitutionDto[];
  @ApiProperty({ nullable: true, type: String }) nextCursor: string | null;
}

export class InstitutionHistoryDto {
  @ApiProperty() id: string;
  @ApiProperty() changeType: string;
  @ApiProperty({ nullable: true, type: String }) changedBy: string | null;
  @ApiProperty() changedAt: string;
  @ApiProperty({ nullable: true, type: Object }) before: Record<string, unknown> | null;
  @ApiProperty({ type: Object }) after: Record<string, unknown>;
}
