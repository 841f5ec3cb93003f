import { Body, Controller, Get, HttpCode, Param, ParseUUIDPipe, Post } from '@nestjs/common';
import { ApiCreatedResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { CurrentPrincipal, Roles } from '@common/auth/auth.decorators';
import { Principal } from '@common/auth/principal';
import { ErrorBodyDto } from '@common/http/error-body.dto';
import { Idempotent } from '@common/idempotency/idempotent.decorator';
import { ApiKeysService } from './api-keys.service';
import { ApiKeyDto, CreateApiKeyDto, CreatedApiKeyDto } from './dto/api-key.dto';

@ApiTags('admin')
@Controller('admin/api-keys')
@Roles('admin')
export class ApiKeysController {
  constructor(private readonly keys: ApiKeysService) {}

  @Post()
  @Idempotent({ redact: ['apiKey'] })
  @ApiOperation({ summary: 'Create an API key (the secret is shown once)' })
  @ApiCreatedResponse({ type: CreatedApiKeyDto })
  async create(@Body() dto: CreateApiKeyDto, @CurrentPrincipal() who: Principal): Promise<CreatedApiKeyDto> {
    const { key, token } = await this.keys.create({ ...dto, createdBy: who.id });
    return { ...ApiKeyDto.from(key), apiKey: token };
  }

  @Get()
  @ApiOperation({ summary: 'List API keys (never their secrets)' })
  @ApiOkResponse({ type: [ApiKeyDto] })
  async list(): Promise<ApiKeyDto[]> {
    return (await this.keys.list()).map(ApiKeyDto.from);
  }

  @Post(':id/revoke')
  @HttpCode(200)
  @Idempotent()
  @ApiOperation({ summary: 'Revoke an API key' })
  @ApiOkResponse({ type: ApiKeyDto })
  @ApiNotFoundResponse({ description: 'API_KEY_NOT_FOUND', type: ErrorBodyDto })
  async revoke(@Param('id', new ParseUUIDPipe()) id: string): Promise<ApiKeyDto> {
    return ApiKeyDto.from(await this.keys.revoke(id));
  }
}
