import { Body, Controller, Get, Headers, HttpCode, Param, ParseUUIDPipe, Post, Query, RawBodyRequest, Req, Res } from '@nestjs/common';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { ApiNotFoundResponse, ApiOperation, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { IsIn, IsOptional, IsString, IsUUID, Length, Matches } from 'class-validator';
import { CurrentPrincipal, Roles } from '@common/auth/auth.decorators';
import { Principal } from '@common/auth/principal';
import { ErrorBodyDto } from '@common/http/error-body.dto';
import { IsAmount } from '@common/money/is-amount.decorator';
import { BankSigned } from '@modules/banks/bank-signature.guard';
import { SettlementResultsService } from './settlement-results.service';
import { Idempotent } from '@common/idempotency/idempotent.decorator';
import { SettlementAdminService } from './settlement-admin.service';
import { SettlementDeliveryService } from './settlement-delivery.service';

class InstructionQueryDto {
  @ApiPropertyOptional({ enum: ['true'] }) @IsOptional() @IsIn(['true', 'false']) deadLettered?: string;
}

@ApiTags('admin')
@Controller('admin')
@Roles('admin')
export class SettlementsController {
  constructor(
    private readonly delivery: SettlementDeliveryService,
    private readonly admin: SettlementAdminService,
  ) {}

  @Get('settlement-instructions')
  @ApiOperation({ summary: 'Latest money movements (settlement instructions) of every kind, or only the dead-lettered ones' })
  list(@Query() q: InstructionQueryDto) {
    return this.admin.list(q.deadLettered === 'true');
  }

  @Get('settlement-instructions/:id')
  @ApiOperation({ summary: 'A movement with every delivery attempt (time, status, latency, answer snippet)' })
  @ApiNotFoundResponse({ description: 'SETTLEMENT_INSTRUCTION_NOT_FOUND', type: ErrorBodyDto })
  get(@Param('id', new ParseUUIDPipe()) id: string) {
    return this.admin.get(id);
  }

  @Post('settlement-instructions/:id/redeliver')
  @HttpCode(202)
  @Idempotent()
  @ApiOperation({ summary: 'Deliver again from the first attempt (same webhook id)' })
  @ApiNotFoundResponse({ description: 'SETTLEMENT_INSTRUCTION_NOT_FOUND', type: ErrorBodyDto })
  async redeliver(@Param('id', new ParseUUIDPipe()) id: string) {
    await this.delivery.redeliver(id);
    return { id, redelivery: 'queued' };
  }

  @Post('banks/:code/enable')
  @HttpCode(200)
  @Idempotent()
  @ApiOperation({ summary: 'Re-enable a bank endpoint disabled by a 410, and redeliver what waited for it' })
  async enable(@Param('code') code: string) {
    const redelivering = await this.delivery.enableBank(code);
    return { code, enabled: true, redelivering };
  }
}

export class SettlementResultDto {
  @ApiProperty({ format: 'uuid' }) @IsUUID() instructionId: string;
  @ApiProperty({ enum: ['executed', 'failed'] }) @IsIn(['executed', 'failed']) status: 'executed' | 'failed';
  @ApiProperty({ example: '66.66' }) @IsAmount() amount: string;
  @ApiProperty({ example: 'CNY' }) @Matches(/^[A-Z]{3}$/) currency: string;
  @ApiProperty({ example: '1001299900000002' }) @IsString() @Length(1, 40) fromAccountNumber: string;
  @ApiPropertyOptional({ example: 'ICBC20261214000042' }) @IsOptional() @IsString() @Length(1, 100) bankTransactionId?: string;
  @ApiPropertyOptional({ example: 'AC04', description: 'Bank reason code when failed' }) @IsOptional() @IsString() @Length(1, 40) reasonCode?: string;
}

@ApiTags('banks')
@Controller('bank')
export class SettlementResultsController {
  constructor(private readonly results: SettlementResultsService) {}

  @Post('settlement-results')
  @BankSigned({ webhookId: 'Unique message id (Standard Webhooks), part of the signed content; a repeated webhook-id is answered as the first time' })
  @ApiOperation({ summary: 'The bank reports an instruction executed (with its transaction id) or failed (with a reason code)' })
  async report(
    @CurrentPrincipal() who: Principal,
    @Req() req: RawBodyRequest<FastifyRequest>,
    @Headers() headers: Record<string, string>,
    @Body() dto: SettlementResultDto,
    @Res({ passthrough: true }) reply: FastifyReply,
  ) {
    const { response, replayed } = await this.results.record(who, headers['webhook-id'], dto);
    if (replayed) void reply.header('idempotent-replayed', 'true');
    return response;
  }
}
