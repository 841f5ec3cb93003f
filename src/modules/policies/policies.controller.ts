import { Body, Controller, Get, Param, Post, Query } from '@nestjs/common';
import { ApiBadRequestResponse, ApiCreatedResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags, ApiUnprocessableEntityResponse } from '@nestjs/swagger';
import { Clock } from '@common/clock';
import { CurrentPrincipal, Roles } from '@common/auth/auth.decorators';
import { Principal } from '@common/auth/principal';
import { ErrorBodyDto } from '@common/http/error-body.dto';
import { Idempotent } from '@common/idempotency/idempotent.decorator';
import { PolicyDto, PublishPolicyDto, ResolveQueryDto } from './dto/policy.dto';
import { PolicyRow } from './policies.repository';
import { PoliciesService } from './policies.service';
import { PolicyRules } from './policy-rules';

const toDto = (p: PolicyRow): PolicyDto => ({
  id: p.id,
  code: p.code,
  version: p.version,
  effectiveFrom: p.effective_from,
  rules: p.rules,
  note: p.note,
  publishedAt: new Date(p.published_at).toISOString(),
});

@ApiTags('policies')
@Controller('policies')
export class PoliciesController {
  constructor(
    private readonly policies: PoliciesService,
    private readonly clock: Clock,
  ) {}

  @Post()
  @Roles('regulator', 'admin')
  @Idempotent()
  @ApiOperation({ summary: 'Publish a new version of a jurisdiction policy (published versions are never edited)' })
  @ApiCreatedResponse({ type: PolicyDto })
  @ApiBadRequestResponse({ description: 'INVALID_AMOUNT (naming the field) or VALIDATION_FAILED', type: ErrorBodyDto })
  @ApiNotFoundResponse({ description: 'DISTRICT_NOT_FOUND: the code is outside your jurisdiction', type: ErrorBodyDto })
  @ApiUnprocessableEntityResponse({ description: 'POLICY_EFFECTIVE_IN_PAST: effectiveFrom is before today', type: ErrorBodyDto })
  async publish(@CurrentPrincipal() who: Principal, @Body() dto: PublishPolicyDto): Promise<PolicyDto> {
    return toDto(await this.policies.publish(who, dto.code, dto.effectiveFrom, dto.rules as unknown as PolicyRules, dto.note ?? null));
  }

  @Get('resolve')
  @Roles('regulator', 'admin', 'institution')
  @ApiOperation({ summary: 'The policy in force for a district on a date (district → city → province → national)' })
  @ApiOkResponse({ type: PolicyDto })
  async resolve(@Query() q: ResolveQueryDto): Promise<PolicyDto> {
    return toDto(await this.policies.resolve(q.district, q.date ?? this.clock.today()));
  }

  @Get(':code/versions')
  @Roles('regulator', 'admin', 'institution')
  @ApiOperation({ summary: 'Every published version for a code' })
  @ApiOkResponse({ type: [PolicyDto] })
  async versions(@Param('code') code: string): Promise<PolicyDto[]> {
    return (await this.policies.versions(code)).map(toDto);
  }
}
