import { Body, Controller, Get, HttpCode, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import { ApiConflictResponse, ApiCreatedResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, Roles } from '@common/auth/auth.decorators';
import { Principal } from '@common/auth/principal';
import { ErrorBodyDto } from '@common/http/error-body.dto';
import { Idempotent } from '@common/idempotency/idempotent.decorator';
import { EscrowAccountDto, EscrowReasonDto, FileEscrowAccountDto } from './dto/escrow-account.dto';
import { EscrowAccountsService } from './escrow-accounts.service';

const uuid = new ParseUUIDPipe();

@ApiTags('escrow accounts')
@Controller()
export class EscrowAccountsController {
  constructor(private readonly escrow: EscrowAccountsService) {}

  @Post('institutions/:id/escrow-accounts')
  @Roles('regulator', 'admin')
  @Idempotent()
  @ApiOperation({ summary: 'File the escrow account (custody arrangement) of an institution' })
  @ApiCreatedResponse({ type: EscrowAccountDto })
  @ApiConflictResponse({ description: 'ACTIVE_ESCROW_ACCOUNT_EXISTS or the bank account is already filed', type: ErrorBodyDto })
  async file(@CurrentPrincipal() who: Principal, @Param('id', uuid) id: string, @Body() dto: FileEscrowAccountDto): Promise<EscrowAccountDto> {
    return EscrowAccountDto.from(await this.escrow.file(who, id, dto));
  }

  @Get('institutions/:id/escrow-accounts')
  @Roles('regulator', 'admin', 'institution')
  @ApiOperation({ summary: "An institution's escrow accounts (current and closed)" })
  @ApiOkResponse({ type: [EscrowAccountDto] })
  async list(@CurrentPrincipal() who: Principal, @Param('id', uuid) id: string): Promise<EscrowAccountDto[]> {
    return (await this.escrow.list(who, id)).map(EscrowAccountDto.from);
  }

  @Get('escrow-accounts/:id')
  @Roles('regulator', 'admin', 'institution')
  @ApiOperation({ summary: 'An escrow account with its freeze / unfreeze audit trail' })
  @ApiOkResponse({ type: EscrowAccountDto })
  @ApiNotFoundResponse({ type: ErrorBodyDto })
  async get(@CurrentPrincipal() who: Principal, @Param('id', uuid) id: string): Promise<EscrowAccountDto> {
    const account = await this.escrow.get(who, id);
    const history = await this.escrow.history(id);
    return {
      ...EscrowAccountDto.from(account),
      history: history.map((h) => ({ action: h.action, reason: h.reason, actorId: h.actor_id, at: new Date(h.at).toISOString() })),
    };
  }

  @Post('escrow-accounts/:id/freeze')
  @HttpCode(200)
  @Roles('regulator', 'admin')
  @Idempotent()
  @ApiOperation({ summary: 'Freeze: releases to the institution stop; payments in and refunds continue' })
  @ApiOkResponse({ type: EscrowAccountDto })
  @ApiConflictResponse({ description: 'INVALID_ESCROW_TRANSITION', type: ErrorBodyDto })
  async freeze(@CurrentPrincipal() who: Principal, @Param('id', uuid) id: string, @Body() dto: EscrowReasonDto): Promise<EscrowAccountDto> {
    return EscrowAccountDto.from(await this.escrow.change(who, id, 'freeze', dto.reason));
  }

  @Post('escrow-accounts/:id/unfreeze')
  @HttpCode(200)
  @Roles('regulator', 'admin')
  @Idempotent()
  @ApiOperation({ summary: 'Unfreeze: held-back releases may go out again' })
  @ApiOkResponse({ type: EscrowAccountDto })
  @ApiConflictResponse({ description: 'INVALID_ESCROW_TRANSITION', type: ErrorBodyDto })
  async unfreeze(@CurrentPrincipal() who: Principal, @Param('id', uuid) id: string, @Body() dto: EscrowReasonDto): Promise<EscrowAccountDto> {
    return EscrowAccountDto.from(await this.escrow.change(who, id, 'unfreeze', dto.reason));
  }

  @Post('escrow-accounts/:id/close')
  @HttpCode(200)
  @Roles('regulator', 'admin')
  @Idempotent()
  @ApiOperation({ summary: 'Close the account (a new one can then be filed)' })
  @ApiOkResponse({ type: EscrowAccountDto })
  @ApiConflictResponse({ description: 'INVALID_ESCROW_TRANSITION', type: ErrorBodyDto })
  async close(@CurrentPrincipal() who: Principal, @Param('id', uuid) id: string, @Body() dto: EscrowReasonDto): Promise<EscrowAccountDto> {
    return EscrowAccountDto.from(await this.escrow.change(who, id, 'close', dto.reason));
  }
}
