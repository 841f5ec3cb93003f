import { IsAmount } from '../../common/money/is-amount.decorator';
import { Body, Controller, Headers, HttpCode, Param, Post, RawBodyRequest, Req, Res } from '@nestjs/common';
import { ApiCreatedResponse, ApiHeader, ApiOperation, ApiProperty, ApiPropertyOptional, ApiTags, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { IsDateString, IsOptional, IsString, IsUrl, Length, Matches } from 'class-validator';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CurrentPrincipal, Roles } from '../../common/auth/auth.decorators';
import { Principal } from '../../common/auth/principal';
import { ErrorBodyDto } from '../../common/http/error-body.dto';
import { Idempotent } from '../../common/idempotency/idempotent.decorator';
import { BankCreditsService } from './bank-credits.service';
import { BanksService } from './banks.service';

export class CreditNoticeDto {
  @ApiProperty({ example: 'ICBC20261122000123' }) @IsString() @Length(1, 100) bankTransactionId: string;
  @ApiProperty({ example: '1001234509876543211' }) @IsString() @Length(1, 40) escrowAccountNumber: string;
  @ApiProperty({ example: '11111.11', description: 'Decimal string' }) @IsAmount() amount: string;
  @ApiProperty({ example: 'CNY' }) @Matches(/^[A-Z]{3}$/) currency: string;
  @ApiProperty({ example: '2026-11-22' }) @IsDateString({ strict: true }) valueDate: string;
  @ApiPropertyOptional({ example: 'HT20261122A1B2C3D4', description: 'The contract reference the payer quoted' }) @IsOptional() @IsString() @Length(1, 100) payerReference?: string;
}

export class RegisterBankDto {
  @ApiProperty({ example: 'ICBC-SH' }) @Matches(/^[A-Z0-9-]{2,40}$/) code: string;
  @ApiProperty({ example: '中国工商银行上海分行' }) @IsString() @Length(2, 200) name: string;
  @ApiPropertyOptional({ example: 'https://bank.example/escrow/webhooks' }) @IsOptional() @IsUrl({ require_tld: false }) webhookUrl?: string;
}

@ApiTags('banks')
@Controller()
export class BankCreditsController {
  constructor(
    private readonly credits: BankCreditsService,
    private readonly banks: BanksService,
  ) {}

  @Post('bank/credits')
  @Roles('bank')
  @ApiHeader({ name: 'webhook-id', required: true })
  @ApiHeader({ name: 'webhook-timestamp', required: true })
  @ApiHeader({ name: 'webhook-signature', required: true, description: 'Standard Webhooks v1 HMAC-SHA256 with the bank secret' })
  @ApiOperation({ summary: 'The custody bank notifies a credit to an escrow account (signed; idempotent on bankTransactionId)' })
  @ApiCreatedResponse({ description: 'First notification: 201. A repeat: 200 with the same answer.' })
  @ApiUnauthorizedResponse({ description: 'INVALID_SIGNATURE: forged, missing or stale (over 5 minutes) signature', type: ErrorBodyDto })
  async credit(
    @CurrentPrincipal() who: Principal,
    @Req() req: RawBodyRequest<FastifyRequest>,
    @Headers() headers: Record<string, string>,
    @Body() dto: CreditNoticeDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    await this.banks.verify(who.bankCode!, req.rawBody, headers);
    const { outcome, replayed } = await this.credits.receive(who, dto);
    void reply.status(replayed ? 200 : 201);
    if (replayed) void reply.header('idempotent-replayed', 'true');
    return outcome;
  }

  @Post('admin/banks')
  @Roles('admin')
  @Idempotent({ redact: ['secret'] })
  @ApiOperation({ summary: 'Register a custody bank; its first signing secret is shown once' })
  async register(@Body() dto: RegisterBankDto) {
    const { bank, secret } = await this.banks.register(dto.code, dto.name, dto.webhookUrl ?? null);
    return { code: bank.code, name: bank.name, webhookUrl: bank.webhook_url, secrets: bank.secrets.length, secret };
  }

  @Post('admin/banks/:code/secrets')
  @Roles('admin')
  @Idempotent({ redact: ['secret'] })
  @ApiOperation({ summary: 'Rotate: add a new signing secret; old and new both verify until the old is retired' })
  async rotate(@Param('code') code: string) {
    const { bank, secret } = await this.banks.rotate(code);
    return { code: bank.code, secrets: bank.secrets.length, secret };
  }

  @Post('admin/banks/:code/secrets/retire-oldest')
  @HttpCode(200)
  @Roles('admin')
  @Idempotent()
  @ApiOperation({ summary: 'Retire the oldest signing secret' })
  async retire(@Param('code') code: string) {
    const bank = await this.banks.retireOldest(code);
    return { code: bank.code, secrets: bank.secrets.length };
  }
}
