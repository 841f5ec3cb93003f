import { Body, Controller, Get, HttpCode, Param, ParseUUIDPipe, Post, Query } from '@nestjs/common';
import { ApiBadRequestResponse, ApiConflictResponse, ApiCreatedResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags, ApiUnprocessableEntityResponse } from '@nestjs/swagger';
import { CurrentPrincipal, Roles } from '@common/auth/auth.decorators';
import { Principal } from '@common/auth/principal';
import { ErrorBodyDto } from '@common/http/error-body.dto';
import { Idempotent } from '@common/idempotency/idempotent.decorator';
import { ApproveAdjustmentDto, CreateResolutionDto, DistrictSummaryQueryDto, ExceptionsQueryDto } from './dto/reconciliation-input.dto';
import { DistrictSummaryDto, ExceptionDetailDto, ExceptionPageDto, ResolutionOutcomeDto, RunDto } from './dto/reconciliation.dto';
import { ReconciliationService } from './reconciliation.service';
import { ResolutionsService } from './resolutions.service';

const uuid = new ParseUUIDPipe();

@ApiTags('reconciliation')
@Controller('reconciliation')
export class ReconciliationController {
  constructor(
    private readonly queries: ReconciliationService,
    private readonly resolutions: ResolutionsService,
  ) {}

  @Get('districts/:code')
  @Roles('regulator', 'admin')
  @ApiOperation({ summary: 'Reconciliation of a business day in a district: every escrow account by status (broken, missing, in transit, reconciled) with totals' })
  @ApiOkResponse({ type: DistrictSummaryDto })
  @ApiBadRequestResponse({ description: 'INVALID_DISTRICT_CODE, VALIDATION_FAILED (date)', type: ErrorBodyDto })
  @ApiNotFoundResponse({ description: 'DISTRICT_NOT_FOUND: the district is outside your jurisdiction', type: ErrorBodyDto })
  district(@CurrentPrincipal() who: Principal, @Param('code') code: string, @Query() q: DistrictSummaryQueryDto): Promise<DistrictSummaryDto> {
    return this.queries.districtSummary(who, code, q.date);
  }

  @Get('exceptions')
  @Roles('regulator', 'admin')
  @ApiOperation({ summary: 'Reconciliation exceptions in your districts, newest first (keyset pages), filtered by district, state, type, day or account' })
  @ApiOkResponse({ type: ExceptionPageDto })
  @ApiNotFoundResponse({ description: 'DISTRICT_NOT_FOUND: districtCode is outside your jurisdiction', type: ErrorBodyDto })
  exceptions(@CurrentPrincipal() who: Principal, @Query() q: ExceptionsQueryDto): Promise<ExceptionPageDto> {
    return this.queries.exceptions(who, q);
  }

  @Get('exceptions/:id')
  @Roles('regulator', 'admin')
  @ApiOperation({ summary: 'One reconciliation exception with its resolutions, matches and adjustments (the whole history)' })
  @ApiOkResponse({ type: ExceptionDetailDto })
  @ApiNotFoundResponse({ description: 'RECONCILIATION_EXCEPTION_NOT_FOUND (also outside your jurisdiction)', type: ErrorBodyDto })
  exception(@CurrentPrincipal() who: Principal, @Param('id', uuid) id: string): Promise<ExceptionDetailDto> {
    return this.queries.exception(who, id);
  }

  @Post('exceptions/:id/resolutions')
  @Roles('regulator', 'admin')
  @Idempotent()
  @ApiOperation({
    summary: 'Resolve an exception with a reason: match by hand, accept a timing difference, propose an adjustment, apply an unnotified credit, or reverse an earlier resolution',
    description:
      'manual_match pairs the exception’s bank line with a platform record (source, recordId), or its record with a bank line (statementId, line); amounts must be equal. ' +
      'timing_difference accepts the difference as timing: the exception becomes accepted (its effect still explains the balance, a later run that matches it resolves it); once only. ' +
      'adjustment proposes a ledger adjustment of the exception’s effect; the exception stays open until another person approves it. ' +
      'apply_credit (MISSING_IN_LEDGER, credit line) records the line through the bank-credits path and matches it. ' +
      'reversal (resolutionId) undoes a resolution in force and reopens the exception; nothing is edited or deleted.',
  })
  @ApiCreatedResponse({ type: ResolutionOutcomeDto })
  @ApiNotFoundResponse({ description: 'RECONCILIATION_EXCEPTION_NOT_FOUND (also outside your jurisdiction), RESOLUTION_NOT_FOUND', type: ErrorBodyDto })
  @ApiConflictResponse({ description: 'INVALID_EXCEPTION_TRANSITION, ALREADY_MATCHED, ADJUSTMENT_PENDING, RESOLUTION_ALREADY_REVERSED', type: ErrorBodyDto })
  @ApiUnprocessableEntityResponse({ description: 'RESOLUTION_NOT_APPLICABLE: the action does not fit this exception (type, direction, amount)', type: ErrorBodyDto })
  resolve(@CurrentPrincipal() who: Principal, @Param('id', uuid) id: string, @Body() dto: CreateResolutionDto): Promise<ResolutionOutcomeDto> {
    return this.resolutions.resolve(who, id, dto);
  }

  @Post('adjustments/:id/approve')
  @HttpCode(200)
  @Roles('regulator', 'admin')
  @Idempotent()
  @ApiOperation({ summary: 'Approve a proposed adjustment (a different person than the proposer): posts it to the ledger, matches the bank line, resolves the exception' })
  @ApiOkResponse({ type: ResolutionOutcomeDto })
  @ApiNotFoundResponse({ description: 'ADJUSTMENT_NOT_FOUND (also outside your jurisdiction)', type: ErrorBodyDto })
  @ApiConflictResponse({ description: 'ADJUSTMENT_SAME_PERSON, ADJUSTMENT_ALREADY_APPROVED, INVALID_EXCEPTION_TRANSITION', type: ErrorBodyDto })
  approve(@CurrentPrincipal() who: Principal, @Param('id', uuid) id: string, @Body() dto: ApproveAdjustmentDto): Promise<ResolutionOutcomeDto> {
    return this.resolutions.approve(who, id, dto.reason);
  }

  @Get('runs/:statementId')
  @Roles('regulator', 'admin')
  @ApiOperation({ summary: 'The reconciliation run of a statement (balances, matched lines, exceptions)' })
  @ApiOkResponse({ type: RunDto })
  @ApiNotFoundResponse({ description: 'STATEMENT_NOT_FOUND (also outside your jurisdiction), RECONCILIATION_NOT_RUN until its job ran', type: ErrorBodyDto })
  run(@CurrentPrincipal() who: Principal, @Param('statementId', uuid) statementId: string): Promise<RunDto> {
    return this.queries.run(who, statementId);
  }
}
