import { Body, Controller, Get, HttpCode, Param, ParseUUIDPipe, Post, Put } from '@nestjs/common';
import { ApiConflictResponse, ApiCreatedResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, Roles } from '@common/auth/auth.decorators';
import { Principal } from '@common/auth/principal';
import { ErrorBodyDto } from '@common/http/error-body.dto';
import { Idempotent } from '@common/idempotency/idempotent.decorator';
import { ApprovalResultDto, ApproveDto, LicenceDto, OptionalReasonDto, ReasonDto, ReviewSettingsDto, StartReviewDto, SuspendDto } from './dto/licence.dto';
import { LicencesService } from './licences.service';

const uuid = new ParseUUIDPipe();
const TRANSITION_ERRORS = { description: 'INVALID_LICENCE_TRANSITION (the answer lists the allowed actions)', type: ErrorBodyDto };

@ApiTags('licences')
@Controller()
export class LicencesController {
  constructor(private readonly licences: LicencesService) {}

  @Post('institutions/:id/licences')
  @Roles('regulator', 'admin', 'institution')
  @Idempotent()
  @ApiOperation({ summary: 'Apply for a licence (state: applied)' })
  @ApiCreatedResponse({ type: LicenceDto })
  async apply(@CurrentPrincipal() who: Principal, @Param('id', uuid) id: string): Promise<LicenceDto> {
    return LicenceDto.from(await this.licences.apply(who, id));
  }

  @Get('institutions/:id/licences')
  @Roles('regulator', 'admin', 'institution')
  @ApiOperation({ summary: "An institution's licences, oldest first" })
  @ApiOkResponse({ type: [LicenceDto] })
  async list(@CurrentPrincipal() who: Principal, @Param('id', uuid) id: string): Promise<LicenceDto[]> {
    return (await this.licences.listForInstitution(who, id)).map(LicenceDto.from);
  }

  @Get('licences/:id')
  @Roles('regulator', 'admin', 'institution')
  @ApiOperation({ summary: 'A licence with its approvals and every transition' })
  @ApiOkResponse({ type: LicenceDto })
  @ApiNotFoundResponse({ type: ErrorBodyDto })
  async get(@CurrentPrincipal() who: Principal, @Param('id', uuid) id: string): Promise<LicenceDto> {
    const licence = await this.licences.get(who, id);
    const [approvals, transitions] = await this.licences.details(id);
    return {
      ...LicenceDto.from(licence),
      approvals: approvals.map((a) => ({ approverId: a.approver_id, approvedAt: new Date(a.approved_at).toISOString(), comment: a.comment })),
      transitions: transitions.map((t) => ({ action: t.action, from: t.from_state, to: t.to_state, reason: t.reason, actorId: t.actor_id, at: new Date(t.at).toISOString() })),
    };
  }

  @Post('licences/:id/review')
  @HttpCode(200)
  @Roles('regulator', 'admin')
  @Idempotent()
  @ApiOperation({ summary: 'applied → under_review, with the proposed licence number and validity' })
  @ApiOkResponse({ type: LicenceDto })
  @ApiConflictResponse(TRANSITION_ERRORS)
  async review(@CurrentPrincipal() who: Principal, @Param('id', uuid) id: string, @Body() dto: StartReviewDto): Promise<LicenceDto> {
    return LicenceDto.from(await this.licences.startReview(who, id, dto));
  }

  @Post('licences/:id/approvals')
  @HttpCode(200)
  @Roles('regulator')
  @Idempotent()
  @ApiOperation({ summary: 'Joint review: one approval per regulator; active once the quorum is reached' })
  @ApiOkResponse({ type: ApprovalResultDto })
  @ApiConflictResponse({ description: 'DUPLICATE_APPROVAL or INVALID_LICENCE_TRANSITION', type: ErrorBodyDto })
  async approve(@CurrentPrincipal() who: Principal, @Param('id', uuid) id: string, @Body() dto: ApproveDto): Promise<ApprovalResultDto> {
    const r = await this.licences.approve(who, id, dto.comment ?? null);
    return { licence: LicenceDto.from(r.licence), approvals: r.approvals, required: r.required };
  }

  @Post('licences/:id/reject')
  @HttpCode(200)
  @Roles('regulator', 'admin')
  @Idempotent()
  @ApiOperation({ summary: 'under_review → rejected (final)' })
  @ApiOkResponse({ type: LicenceDto })
  @ApiConflictResponse(TRANSITION_ERRORS)
  async reject(@CurrentPrincipal() who: Principal, @Param('id', uuid) id: string, @Body() dto: ReasonDto): Promise<LicenceDto> {
    return LicenceDto.from(await this.licences.reject(who, id, dto.reason));
  }

  @Post('licences/:id/suspend')
  @HttpCode(200)
  @Roles('regulator', 'admin')
  @Idempotent()
  @ApiOperation({ summary: 'active → suspended' })
  @ApiOkResponse({ type: LicenceDto })
  @ApiConflictResponse(TRANSITION_ERRORS)
  async suspend(@CurrentPrincipal() who: Principal, @Param('id', uuid) id: string, @Body() dto: SuspendDto): Promise<LicenceDto> {
    return LicenceDto.from(await this.licences.suspend(who, id, dto.reason, dto.until ?? null));
  }

  @Post('licences/:id/reinstate')
  @HttpCode(200)
  @Roles('regulator', 'admin')
  @Idempotent()
  @ApiOperation({ summary: 'suspended → active' })
  @ApiOkResponse({ type: LicenceDto })
  @ApiConflictResponse(TRANSITION_ERRORS)
  async reinstate(@CurrentPrincipal() who: Principal, @Param('id', uuid) id: string, @Body() dto: OptionalReasonDto): Promise<LicenceDto> {
    return LicenceDto.from(await this.licences.reinstate(who, id, dto.reason ?? null));
  }

  @Post('licences/:id/revoke')
  @HttpCode(200)
  @Roles('regulator', 'admin')
  @Idempotent()
  @ApiOperation({ summary: 'active or suspended → revoked (final)' })
  @ApiOkResponse({ type: LicenceDto })
  @ApiConflictResponse(TRANSITION_ERRORS)
  async revoke(@CurrentPrincipal() who: Principal, @Param('id', uuid) id: string, @Body() dto: ReasonDto): Promise<LicenceDto> {
    return LicenceDto.from(await this.licences.revoke(who, id, dto.reason));
  }

  @Post('licences/:id/renew')
  @Roles('regulator', 'admin', 'institution')
  @Idempotent()
  @ApiOperation({ summary: 'Open the next licence period (a new application linked to this licence)' })
  @ApiCreatedResponse({ type: LicenceDto })
  @ApiConflictResponse(TRANSITION_ERRORS)
  async renew(@CurrentPrincipal() who: Principal, @Param('id', uuid) id: string): Promise<LicenceDto> {
    return LicenceDto.from(await this.licences.renew(who, id));
  }

  @Put('districts/:code/review-settings')
  @Roles('regulator', 'admin')
  @Idempotent()
  @ApiOperation({ summary: 'How many distinct regulator approvals a licence in this district needs' })
  @ApiOkResponse({ type: ReviewSettingsDto })
  @ApiNotFoundResponse({ description: 'DISTRICT_NOT_FOUND: the district is outside your jurisdiction', type: ErrorBodyDto })
  async settings(@CurrentPrincipal() who: Principal, @Param('code') code: string, @Body() dto: ReviewSettingsDto): Promise<ReviewSettingsDto> {
    await this.licences.setRequiredApprovals(who, code, dto.requiredApprovals);
    return dto;
  }
}
