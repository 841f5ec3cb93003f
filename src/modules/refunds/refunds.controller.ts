import { Body, Controller, Get, Headers, HttpCode, Param, ParseUUIDPipe, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiHeader, ApiOkResponse, ApiOperation, ApiTags, ApiUnprocessableEntityResponse } from '@nestjs/swagger';
import { CurrentPrincipal, Public, Roles } from '@common/auth/auth.decorators';
import { Principal } from '@common/auth/principal';
import { DomainError } from '@common/errors/domain-error';
import { ErrorBodyDto } from '@common/http/error-body.dto';
import { Idempotent } from '@common/idempotency/idempotent.decorator';
import { ContestRefundDto, PayerRefundsDto, RefundDecisionDto, RefundDto, RefundListQuery, RefundRequestDto, RunRefundDeadlinesDto } from './dto/refund.dto';
import { RefundComputationDto } from './dto/refund.dto';
import { RefundDeadlinesJob } from './jobs/refund-deadlines.job';
import { Decision, RefundsService } from './refunds.service';

const uuid = new ParseUUIDPipe();

@ApiTags('refunds')
@Controller()
export class RefundsController {
  constructor(
    private readonly refunds: RefundsService,
    private readonly deadlines: RefundDeadlinesJob,
  ) {}

  @Post('payer/refunds')
  @Public()
  @Idempotent()
  @ApiHeader({ name: 'payer-token', required: true, description: "The contract's payer access token" })
  @ApiOperation({ summary: 'The payer asks for a refund of the whole remainder, with a reason; the amount is computed and shown with its computation' })
  @ApiCreatedResponse({ type: RefundDto })
  @ApiUnprocessableEntityResponse({ description: 'REFUND_NOT_POSSIBLE, NOTHING_TO_REFUND, REFUND_PAYER_ACCOUNT_UNKNOWN', type: ErrorBodyDto })
  async request(@Headers('payer-token') token: string, @Body() dto: RefundRequestDto): Promise<RefundDto> {
    return RefundDto.from((await this.refunds.request(token, dto.reason)).refund);
  }

  @Get('payer/refunds')
  @Public()
  @ApiHeader({ name: 'payer-token', required: true })
  @ApiOperation({ summary: "The contract's refunds and what a refund would be now, with the computation a parent can check" })
  @ApiOkResponse({ type: PayerRefundsDto })
  async forPayer(@Headers('payer-token') token: string): Promise<PayerRefundsDto> {
    const r = await this.refunds.forPayer(token);
    return { contractReference: r.contract.reference, contractState: r.contract.state, quote: r.quote ? RefundComputationDto.from(r.quote) : null, refunds: r.refunds.map(RefundDto.from) };
  }

  @Get('refunds/:id')
  @Roles('institution', 'regulator', 'admin')
  @ApiOperation({ summary: 'A refund with its computation and decision trail' })
  @ApiOkResponse({ type: RefundDto })
  async get(@CurrentPrincipal() who: Principal, @Param('id', uuid) id: string): Promise<RefundDto> {
    return RefundDto.from(await this.refunds.get(who, id));
  }

  @Get('institutions/:id/refunds')
  @Roles('institution', 'regulator', 'admin')
  @ApiOperation({ summary: "An institution's refunds, newest first (at most 200)" })
  @ApiOkResponse({ type: [RefundDto] })
  async list(@CurrentPrincipal() who: Principal, @Param('id', uuid) id: string, @Query() q: RefundListQuery): Promise<RefundDto[]> {
    return (await this.refunds.list(who, id, q.state ?? null)).map(RefundDto.from);
  }

  @Post('refunds/:id/approve')
  @HttpCode(200)
  @Roles('institution', 'admin')
  @Idempotent()
  @ApiOperation({ summary: 'The institution approves: the contract stops consuming lessons and the refund (computed now) goes to the bank' })
  @ApiOkResponse({ type: RefundDto })
  async approve(@CurrentPrincipal() who: Principal, @Param('id', uuid) id: string): Promise<RefundDto> {
    return RefundDto.from(await this.refunds.approve(who, id));
  }

  @Post('refunds/:id/contest')
  @HttpCode(200)
  @Roles('institution', 'admin')
  @Idempotent()
  @ApiOperation({ summary: "The institution contests (with a reason): the district's regulator decides" })
  @ApiOkResponse({ type: RefundDto })
  async contest(@CurrentPrincipal() who: Principal, @Param('id', uuid) id: string, @Body() dto: ContestRefundDto): Promise<RefundDto> {
    return RefundDto.from(await this.refunds.contest(who, id, dto.reason));
  }

  @Post('refunds/:id/decision')
  @HttpCode(200)
  @Roles('regulator', 'admin')
  @Idempotent()
  @ApiOperation({ summary: 'A regulator of the district decides a contested refund: full, partial (an amount and a reason) or refuse' })
  @ApiOkResponse({ type: RefundDto })
  async decide(@CurrentPrincipal() who: Principal, @Param('id', uuid) id: string, @Body() dto: RefundDecisionDto): Promise<RefundDto> {
    if (dto.decision !== 'partial' && dto.amount !== undefined) {
      throw new DomainError('VALIDATION_FAILED', 'amount is given only with a partial decision', { fields: ['amount'] });
    }
    const d: Decision = dto.decision === 'partial' ? { decision: 'partial', amount: dto.amount!, reason: dto.reason } : { decision: dto.decision, reason: dto.reason };
    return RefundDto.from(await this.refunds.decide(who, id, d));
  }

  @Post('admin/refunds/deadlines-run')
  @HttpCode(200)
  @Roles('admin')
  @Idempotent()
  @ApiOperation({ summary: 'Run the refund deadlines now (deemed approvals, overdue refunds); it also runs every hour; each request is deemed once' })
  runDeadlines(@Body() dto: RunRefundDeadlinesDto) {
    return this.deadlines.handle({ today: dto.today });
  }
}
