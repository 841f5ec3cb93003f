import { IsAmount } from '@common/money/is-amount.decorator';
import { Body, Controller, Post, Res } from '@nestjs/common';
import { ApiCreatedResponse, ApiOperation, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { IsOptional, IsString, Length, Matches } from 'class-validator';
import type { FastifyReply } from 'fastify';
import { CurrentPrincipal } from '@common/auth/auth.decorators';
import { Principal } from '@common/auth/principal';
import { BankSigned } from '@modules/banks/bank-signature.guard';
import { BankCreditsService } from './bank-credits.service';
import { IsCalendarDate } from '@common/http/date-input';
import { NestedObject } from '@common/http/field-rules';

export class PayerAccountDto {
  @ApiPropertyOptional({ example: 'BOC-SH', description: "The payer's bank" }) @IsOptional() @IsString() @Length(1, 100) bank?: string;
  @ApiProperty({ example: '6217000012345678' }) @IsString() @Length(1, 40) accountNumber: string;
  @ApiPropertyOptional({ example: '陈女士' }) @IsOptional() @IsString() @Length(1, 200) accountName?: string;
}

export class CreditNoticeDto {
  @ApiProperty({ example: 'ICBC20261122000123' }) @IsString() @Length(1, 100) bankTransactionId: string;
  @ApiProperty({ example: '1001234509876543211' }) @IsString() @Length(1, 40) escrowAccountNumber: string;
  @ApiProperty({ example: '11111.11', description: 'Decimal string' }) @IsAmount() amount: string;
  @ApiProperty({ example: 'CNY' }) @Matches(/^[A-Z]{3}$/) currency: string;
  @ApiProperty({ example: '2026-11-22' }) @IsCalendarDate() valueDate: string;
  @ApiPropertyOptional({ example: 'HT20261122A1B2C3D4', description: 'The contract reference the payer quoted' }) @IsOptional() @IsString() @Length(1, 100) payerReference?: string;
  @ApiPropertyOptional({ type: PayerAccountDto, description: 'The account the money came from (a refund goes back to it)' })
  @IsOptional()
  @NestedObject(() => PayerAccountDto)
  payerAccount?: PayerAccountDto;
}

@ApiTags('banks')
@Controller()
export class BankCreditsController {
  constructor(private readonly credits: BankCreditsService) {}

  @Post('bank/credits')
  @BankSigned({ webhookId: 'Unique message id (Standard Webhooks), part of the signed content; repeats are recognised by bankTransactionId' })
  @ApiOperation({ summary: 'The custody bank notifies a credit to an escrow account (signed; idempotent on bankTransactionId)' })
  @ApiCreatedResponse({
    description: 'The credit as applied. A repeat of a bankTransactionId answers 201 again with the first answer and `Idempotent-Replayed: true`.',
    headers: { 'Idempotent-Replayed': { description: '`true` on a repeat of a bankTransactionId', schema: { type: 'string', enum: ['true'] } } },
  })
  async credit(@CurrentPrincipal() who: Principal, @Body() dto: CreditNoticeDto, @Res({ passthrough: true }) reply: FastifyReply) {
    const { outcome, replayed } = await this.credits.receive(who, dto);
    if (replayed) void reply.header('idempotent-replayed', 'true');
    return outcome;
  }
}
