import { Body, Controller, Get, HttpCode, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, IsUUID, Length, ValidateIf } from 'class-validator';
import { CurrentPrincipal, Roles } from '@common/auth/auth.decorators';
import { Principal } from '@common/auth/principal';
import { DomainError } from '@common/errors/domain-error';
import { IsCalendarDate } from '@common/http/date-input';
import { NestedObject } from '@common/http/field-rules';
import { Idempotent } from '@common/idempotency/idempotent.decorator';
import { SuspenseAgingJob } from './jobs/suspense-aging.job';
import { Resolution, SuspenseItem, SuspenseService } from './suspense.service';

class PayeeDto {
  @ApiPropertyOptional({ example: 'CMB-SH' }) @IsOptional() @IsString() @Length(1, 40) bank?: string;
  @ApiProperty({ example: '6225880000000001' }) @IsString() @Length(4, 40) accountNumber: string;
  @ApiPropertyOptional({ example: '家长' }) @IsOptional() @IsString() @Length(1, 200) accountName?: string;
}

class ResolveDto {
  @ApiProperty({ enum: ['apply', 'return'], description: 'apply: a credit of the contract; return: to the payer’s original account' }) @IsIn(['apply', 'return']) action: 'apply' | 'return';
  @ApiPropertyOptional({ format: 'uuid', description: 'Required to apply (a contract of the same escrow account)' })
  @ValidateIf((o: ResolveDto) => o.action === 'apply' || o.contractId !== undefined)
  @IsUUID()
  contractId?: string;
  @ApiProperty({ example: 'The payer quoted the wrong reference; confirmed by phone' }) @IsString() @Length(2, 1000) reason: string;
  @ApiPropertyOptional({ type: PayeeDto, description: 'To return: the account to pay (default: the account the credit came from)' })
  @IsOptional()
  @NestedObject(() => PayeeDto)
  payee?: PayeeDto;
}

class RunForDayDto {
  @ApiPropertyOptional({ example: '2026-12-14' }) @IsOptional() @IsCalendarDate() today?: string;
}

class SuspenseItemDto {
  @ApiProperty() creditId: string;
  @ApiProperty() bankTransactionId: string;
  @ApiProperty() escrowAccountId: string;
  @ApiProperty({ example: '200.00', description: 'The part of the credit held in suspense' }) amount: string;
  @ApiProperty() currency: string;
  @ApiProperty({ description: 'applied_with_excess (an overpayment) or suspense (matched nothing)' }) outcome: string;
  @ApiProperty({ nullable: true }) payerReference: string | null;
  @ApiProperty() receivedAt: string;
  @ApiProperty({ nullable: true, description: 'null while unresolved' })
  resolution: { action: string; contractId: string | null; movementId: string | null; reason: string; resolvedAt: string } | null;

  static from({ credit: c, resolution: r }: SuspenseItem): SuspenseItemDto {
    return {
      creditId: c.id,
      bankTransactionId: c.bank_transaction_id,
      escrowAccountId: c.escrow_account_id,
      amount: c.to_suspense,
      currency: c.currency,
      outcome: c.outcome,
      payerReference: c.payer_reference,
      receivedAt: new Date(c.received_at).toISOString(),
      resolution: r ? { action: r.action, contractId: r.contract_id, movementId: r.movement_id, reason: r.reason, resolvedAt: new Date(r.created_at).toISOString() } : null,
    };
  }
}

@ApiTags('suspense')
@Controller()
export class SuspenseController {
  constructor(
    private readonly suspense: SuspenseService,
    private readonly aging: SuspenseAgingJob,
  ) {}

  @Get('institutions/:id/suspense')
  @Roles('institution', 'regulator', 'admin')
  @ApiOperation({ summary: "An institution's money held in suspense, item by item, with each resolution" })
  @ApiOkResponse({ type: [SuspenseItemDto] })
  async list(@CurrentPrincipal() who: Principal, @Param('id', new ParseUUIDPipe()) id: string): Promise<SuspenseItemDto[]> {
    return (await this.suspense.list(who, id)).map(SuspenseItemDto.from);
  }

  @Post('suspense/:creditId/resolve')
  @HttpCode(200)
  @Roles('regulator', 'admin')
  @Idempotent()
  @ApiOperation({ summary: 'Resolve a suspense item with a reason: apply it to a contract, or return it to the payer (once per item)' })
  @ApiOkResponse({ type: SuspenseItemDto })
  async resolve(@CurrentPrincipal() who: Principal, @Param('creditId', new ParseUUIDPipe()) creditId: string, @Body() dto: ResolveDto): Promise<SuspenseItemDto> {
    if (dto.action === 'return' && dto.contractId !== undefined) throw new DomainError('VALIDATION_FAILED', 'contractId is given only to apply', { fields: ['contractId'] });
    if (dto.action === 'apply' && dto.payee !== undefined) throw new DomainError('VALIDATION_FAILED', 'payee is given only to return', { fields: ['payee'] });
    const r: Resolution = dto.action === 'apply' ? { action: 'apply', contractId: dto.contractId!, reason: dto.reason } : { action: 'return', reason: dto.reason, payee: dto.payee ?? null };
    return SuspenseItemDto.from(await this.suspense.resolve(who, creditId, r));
  }

  @Post('admin/suspense/aging-run')
  @HttpCode(200)
  @Roles('admin')
  @Idempotent()
  @ApiOperation({ summary: 'Raise SUSPENSE_AGED for unresolved items past their policy days now (it also runs daily)' })
  runAging(@Body() dto: RunForDayDto) {
    return this.aging.handle({ today: dto.today });
  }
}
