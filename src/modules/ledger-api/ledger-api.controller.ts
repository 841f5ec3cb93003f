import { Body, Controller, Get, Param, ParseUUIDPipe, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags, ApiUnprocessableEntityResponse } from '@nestjs/swagger';
import { CurrentPrincipal, Roles } from '@common/auth/auth.decorators';
import { Principal } from '@common/auth/principal';
import { ErrorBodyDto } from '@common/http/error-body.dto';
import { DomainError } from '@common/errors/domain-error';
import { decodeCursor, encodeCursor } from '@common/http/pagination';
import { isKnownCurrency } from '@common/money/currency';
import { Idempotent } from '@common/idempotency/idempotent.decorator';
import { transactionNotFound } from '@modules/ledger/ledger.errors';
import { LedgerService } from '@modules/ledger/ledger.service';
import { LedgerAccessService } from './ledger-access.service';
import { AccountBalanceDto, AsOfQueryDto, ContractBalanceDto, CurrencyQueryDto, InstitutionBalanceDto, PostingPageDto, PostingsQueryDto, ReversalDto } from './dto/ledger.dto';

const asDate = (s?: string) => (s ? new Date(s) : undefined);

@ApiTags('ledger')
@Controller('ledger')
export class LedgerApiController {
  constructor(
    private readonly ledger: LedgerService,
    private readonly access: LedgerAccessService,
  ) {}

  @Get('accounts/:id')
  @Roles('admin', 'regulator', 'institution', 'bank')
  @ApiOperation({ summary: 'Balance of a ledger account, now or as of a past moment' })
  @ApiOkResponse({ type: AccountBalanceDto })
  @ApiNotFoundResponse({ type: ErrorBodyDto })
  async balance(@CurrentPrincipal() who: Principal, @Param('id') id: string, @Query() q: AsOfQueryDto): Promise<AccountBalanceDto> {
    const account = await this.access.visibleAccount(who, id);
    const balance = await this.ledger.balance(account, asDate(q.asOf));
    return { id: account.id, code: account.code, type: account.type, currency: account.currency, balance: balance.toString(), asOf: q.asOf ?? null };
  }

  @Get('accounts/:id/postings')
  @Roles('admin', 'regulator', 'institution', 'bank')
  @ApiOperation({ summary: "An account's postings, newest first (keyset pages)" })
  @ApiOkResponse({ type: PostingPageDto })
  async postings(@CurrentPrincipal() who: Principal, @Param('id') id: string, @Query() q: PostingsQueryDto): Promise<PostingPageDto> {
    const account = await this.access.visibleAccount(who, id);
    const limit = q.limit ?? 100;
    const before = decodeCursor(q.cursor, ['bigint'])?.[0] ?? null;
    const rows = await this.ledger.postings(account.id, before, limit);
    return {
      items: rows.map((r) => ({
        id: r.id,
        transactionId: r.transaction_id,
        transactionType: r.type,
        amount: r.amount,
        currency: r.currency,
        createdAt: new Date(r.created_at).toISOString(),
        memo: r.memo,
      })),
      nextCursor: rows.length === limit ? encodeCursor([rows[rows.length - 1].id]) : null,
    };
  }

  @Get('transactions/:id')
  @Roles('admin', 'regulator')
  @ApiOperation({ summary: 'A journal transaction with its postings' })
  @ApiNotFoundResponse({ type: ErrorBodyDto })
  async transaction(@CurrentPrincipal() who: Principal, @Param('id') id: string) {
    const t = await this.ledger.transaction(id);
    // One posting outside the caller's scope hides the whole transaction, with the same 404 as a missing one.
    for (const p of t.postings) await this.access.visibleAccount(who, p.account_id).catch(() => Promise.reject(transactionNotFound(id)));
    return { ...t, created_at: undefined, createdAt: new Date(t.created_at).toISOString() };
  }

  @Post('transactions/:id/reversal')
  @Roles('admin')
  @Idempotent()
  @ApiOperation({ summary: 'Correct a mistake with a reversal pointing at the original (once)' })
  @ApiCreatedResponse({ schema: { example: { id: '42', replayed: false } } })
  @ApiUnprocessableEntityResponse({ description: 'INSUFFICIENT_FUNDS (the money has moved on)', type: ErrorBodyDto })
  reverse(@CurrentPrincipal() who: Principal, @Param('id') id: string, @Body() dto: ReversalDto) {
    return this.ledger.reverse(id, dto.reason, who.id);
  }

  @Get('contracts/:contractId/balance')
  @Roles('admin', 'regulator', 'institution')
  @ApiOperation({ summary: 'A contract: paid in, released, refunded, held' })
  @ApiOkResponse({ type: ContractBalanceDto })
  async contract(@CurrentPrincipal() who: Principal, @Param('contractId', new ParseUUIDPipe()) contractId: string, @Query() q: AsOfQueryDto): Promise<ContractBalanceDto> {
    const owner = await this.access.visibleContract(who, contractId);
    const b = await this.ledger.contractFunds(owner, undefined, asDate(q.asOf));
    return {
      contractId,
      currency: owner.currency,
      paidIn: b.paidIn.toString(),
      released: b.released.toString(),
      refunded: b.refunded.toString(),
      held: b.held.toString(),
      consistent: b.paidIn.plus(b.other).eq(b.released.plus(b.refunded).plus(b.held)),
      asOf: q.asOf ?? null,
    };
  }

  @Get('institutions/:id/balance')
  @Roles('admin', 'regulator', 'institution')
  @ApiOperation({ summary: 'An institution: held for its contracts, released-unsettled, settled' })
  @ApiOkResponse({ type: InstitutionBalanceDto })
  async institution(@CurrentPrincipal() who: Principal, @Param('id', new ParseUUIDPipe()) id: string, @Query() q: CurrencyQueryDto): Promise<InstitutionBalanceDto> {
    await this.access.visibleInstitution(who, id);
    const currency = q.currency ?? 'CNY';
    if (!isKnownCurrency(currency)) throw new DomainError('VALIDATION_FAILED', `Unknown currency ${currency}`, { field: 'currency' });
    const b = await this.ledger.institutionFunds(id, currency);
    return { institutionId: id, currency, held: b.held.toString(), unsettled: b.unsettled.toString(), settled: b.settled.toString() };
  }
}
