import { Body, Controller, Delete, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiCreatedResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiProperty, ApiPropertyOptional, ApiTags } from '@nestjs/swagger';
import { ArrayMaxSize, ArrayMinSize, IsArray, IsOptional, IsUrl, Matches } from 'class-validator';
import { CurrentPrincipal, Roles } from '@common/auth/auth.decorators';
import { Principal } from '@common/auth/principal';
import { ErrorBodyDto } from '@common/http/error-body.dto';
import { Idempotent } from '@common/idempotency/idempotent.decorator';
import { AlertSubscriptionsService, SubscriptionView } from './alert-subscriptions.service';

class CreateSubscriptionDto {
  @ApiProperty({ example: 'https://regulator.example/hooks/escrow-alerts', description: 'Absolute http(s) URL receiving each new alert as a Standard Webhook' })
  @IsUrl({ require_tld: false, require_protocol: true, protocols: ['http', 'https'] }, { message: 'url must be an absolute http(s) URL' })
  url: string;

  @ApiPropertyOptional({ example: ['310117'], description: 'Codes within your jurisdiction (default: all of it; an admin names them)' })
  @IsOptional()
  @IsArray()
  @ArrayMinSize(1)
  @ArrayMaxSize(50)
  @Matches(/^\d{6}$/, { each: true, message: 'districtCodes must be 6-digit administrative codes' })
  districtCodes?: string[];
}

class SubscriptionDto {
  @ApiProperty({ format: 'uuid' }) id: string;
  @ApiProperty() url: string;
  @ApiProperty({ type: [String] }) districtCodes: string[];
  @ApiProperty() createdAt: string;
  @ApiProperty({ nullable: true, type: String }) disabledAt: string | null;
  @ApiProperty({ nullable: true, type: String }) disabledReason: string | null;
}

class CreatedSubscriptionDto extends SubscriptionDto {
  @ApiProperty({ example: 'whsec_...', description: 'The signing secret (Standard Webhooks), shown once; stored sealed' }) secret: string;
}

@ApiTags('alerts')
@Controller('alert-subscriptions')
export class AlertSubscriptionsController {
  constructor(private readonly subscriptions: AlertSubscriptionsService) {}

  @Post()
  @Roles('regulator', 'admin')
  // The stored replay never holds the secret (as for banks' secrets and API keys).
  @Idempotent({ redact: ['secret'] })
  @ApiOperation({ summary: 'Receive every new alert of your districts as a signed Standard Webhook (retried and recorded like settlement delivery)' })
  @ApiCreatedResponse({ type: CreatedSubscriptionDto })
  @ApiNotFoundResponse({ description: 'DISTRICT_NOT_FOUND: a code outside your jurisdiction', type: ErrorBodyDto })
  create(@CurrentPrincipal() who: Principal, @Body() dto: CreateSubscriptionDto): Promise<CreatedSubscriptionDto> {
    return this.subscriptions.create(who, dto.url, dto.districtCodes);
  }

  @Get()
  @Roles('regulator', 'admin')
  @ApiOperation({ summary: 'Your alert subscriptions (an admin: all)' })
  @ApiOkResponse({ type: [SubscriptionDto] })
  list(@CurrentPrincipal() who: Principal): Promise<SubscriptionView[]> {
    return this.subscriptions.list(who);
  }

  @Delete(':id')
  @HttpCode(200)
  @Roles('regulator', 'admin')
  @ApiOperation({ summary: 'Disable a subscription (kept with what it received; nothing more is sent)' })
  @ApiOkResponse({ type: SubscriptionDto })
  @ApiNotFoundResponse({ type: ErrorBodyDto })
  disable(@CurrentPrincipal() who: Principal, @Param('id') id: string): Promise<SubscriptionView> {
    return this.subscriptions.disable(who, id);
  }
}
