import { IsAmount } from '@common/money/is-amount.decorator';
import { ApiProperty, ApiPropertyOptional } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, Length, Matches } from 'class-validator';
import { EscrowAccount, EscrowMode } from '../escrow-accounts.repository';

const MODES = ['full_custody', 'risk_reserve'];

export class FileEscrowAccountDto {
  @ApiProperty({ example: 'ICBC-SH' }) @IsString() @Length(2, 40) bankCode: string;
  @ApiProperty({ example: '1001234509876543210' }) @Matches(/^[0-9A-Za-z-]{6,40}$/, { message: 'accountNumber must be 6-40 letters, digits or dashes' }) accountNumber: string;
  @ApiProperty({ example: '上海启明星教育培训有限公司预收费监管专户' }) @IsString() @Length(2, 200) accountName: string;
  @ApiPropertyOptional({ example: 'CNY', default: 'CNY' }) @IsOptional() @Matches(/^[A-Z]{3}$/) currency?: string;
  @ApiProperty({ enum: MODES }) @IsIn(MODES) mode: EscrowMode;
  @ApiPropertyOptional({ example: '300000.00', description: 'Decimal string; risk-reserve mode only' }) @IsOptional() @IsAmount() requiredReserve?: string;
  @ApiProperty({ example: 'SH-ESC-2026-0117' }) @IsString() @Length(2, 100) agreementReference: string;
}

export class EscrowReasonDto {
  @ApiProperty({ example: 'Owner unreachable; complaints from parents' }) @IsString() @Length(2, 1000) reason: string;
}

export class EscrowAccountDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty({ format: 'uuid' }) institutionId: string;
  @ApiProperty() bankCode: string;
  @ApiProperty() accountNumber: string;
  @ApiProperty() accountName: string;
  @ApiProperty() currency: string;
  @ApiProperty({ enum: MODES }) mode: string;
  @ApiProperty({ nullable: true, type: String, example: '300000.00' }) requiredReserve: string | null;
  @ApiProperty() agreementReference: string;
  @ApiProperty({ enum: ['active', 'frozen', 'closed'] }) state: string;
  @ApiProperty() createdAt: string;
  @ApiPropertyOptional({ type: [Object] }) history?: { action: string; reason: string; actorId: string | null; at: string }[];

  static from(a: EscrowAccount): EscrowAccountDto {
    return {
      id: a.id,
      institutionId: a.institutionId,
      bankCode: a.bankCode,
      accountNumber: a.accountNumber,
      accountName: a.accountName,
      currency: a.currency,
      mode: a.mode,
      requiredReserve: a.requiredReserve ? a.requiredReserve.toString() : null,
      agreementReference: a.agreementReference,
      state: a.state,
      createdAt: new Date(a.createdAt).toISOString(),
    };
  }
}
