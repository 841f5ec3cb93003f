import { Body, Controller, Get, HttpCode, Param, Patch, Post } from '@nestjs/common';
import { ApiConflictResponse, ApiCreatedResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, Roles } from '@common/auth/auth.decorators';
import { Principal } from '@common/auth/principal';
import { ErrorBodyDto } from '@common/http/error-body.dto';
import { Idempotent } from '@common/idempotency/idempotent.decorator';
import { BanksService } from './banks.service';
import { BankDetailDto, BankDto, RegisteredBankDto, RegisterBankDto, UpdateBankDto } from './dto/bank.dto';

/** Custody banks: registration, settings and signing-secret rotation. Every change is in the bank's history. */
@ApiTags('banks')
@Controller('admin/banks')
@Roles('admin')
export class BanksController {
  constructor(private readonly banks: BanksService) {}

  @Post()
  @Idempotent({ redact: ['secret'] })
  @ApiOperation({ summary: 'Register a custody bank; its first signing secret is shown once' })
  @ApiCreatedResponse({ type: RegisteredBankDto })
  @ApiConflictResponse({ description: 'CONFLICT: the code is already registered', type: ErrorBodyDto })
  async register(@CurrentPrincipal() who: Principal, @Body() dto: RegisterBankDto) {
    const { bank, secret } = await this.banks.register(dto.code, dto.name, dto.webhookUrl ?? null, who.id);
    return { code: bank.code, name: bank.name, webhookUrl: bank.webhookUrl, secrets: bank.secretCount, secret };
  }

  @Get()
  @ApiOperation({ summary: 'Every registered bank (how many signing secrets, never the secrets)' })
  @ApiOkResponse({ type: [BankDto] })
  async list(): Promise<BankDto[]> {
    return (await this.banks.list()).map(BankDto.from);
  }

  @Get(':code')
  @ApiOperation({ summary: 'A bank, its settings and its history (never the secrets)' })
  @ApiOkResponse({ type: BankDetailDto })
  @ApiNotFoundResponse({ description: 'BANK_NOT_FOUND', type: ErrorBodyDto })
  async get(@Param('code') code: string): Promise<BankDetailDto> {
    const { bank, history } = await this.banks.get(code);
    return { ...BankDto.from(bank), history: history.map((h) => ({ ...h, at: new Date(h.at).toISOString() })) };
  }

  @Patch(':code')
  @Idempotent()
  @ApiOperation({ summary: "Change a bank's name or webhook URL (recorded with the admin who did it)" })
  @ApiOkResponse({ type: BankDto })
  @ApiNotFoundResponse({ description: 'BANK_NOT_FOUND', type: ErrorBodyDto })
  async update(@CurrentPrincipal() who: Principal, @Param('code') code: string, @Body() dto: UpdateBankDto): Promise<BankDto> {
    return BankDto.from(await this.banks.update(code, { name: dto.name, webhookUrl: dto.webhookUrl }, who.id));
  }

  @Post(':code/secrets')
  @Idempotent({ redact: ['secret'] })
  @ApiOperation({ summary: 'Rotate: add a new signing secret; old and new both verify until the old is retired' })
  @ApiNotFoundResponse({ description: 'BANK_NOT_FOUND', type: ErrorBodyDto })
  async rotate(@CurrentPrincipal() who: Principal, @Param('code') code: string) {
    const { bank, secret } = await this.banks.rotate(code, who.id);
    return { code: bank.code, secrets: bank.secretCount, secret };
  }

  @Post(':code/secrets/retire-oldest')
  @HttpCode(200)
  @Idempotent()
  @ApiOperation({ summary: 'Retire the oldest signing secret (the last one stays)' })
  @ApiNotFoundResponse({ description: 'BANK_NOT_FOUND', type: ErrorBodyDto })
  @ApiConflictResponse({ description: 'CONFLICT: a single secret is left', type: ErrorBodyDto })
  async retire(@CurrentPrincipal() who: Principal, @Param('code') code: string) {
    const bank = await this.banks.retireOldest(code, who.id);
    return { code: bank.code, secrets: bank.secretCount };
  }
}
