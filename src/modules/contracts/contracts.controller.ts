import { Body, Controller, Get, HttpCode, Param, ParseUUIDPipe, Post, Query } from '@nestjs/common';
import { ApiCreatedResponse, ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags, ApiUnprocessableEntityResponse } from '@nestjs/swagger';
import { CurrentPrincipal, Roles } from '@common/auth/auth.decorators';
import { Principal } from '@common/auth/principal';
import { ErrorBodyDto } from '@common/http/error-body.dto';
import { decodeCursor, encodeCursor, PageQueryDto } from '@common/http/pagination';
import { Idempotent } from '@common/idempotency/idempotent.decorator';
import { ContractsService } from './contracts.service';
import { ContractDto, SignContractDto, SignedContractDto } from './dto/contract.dto';

const uuid = new ParseUUIDPipe();

@ApiTags('contracts')
@Controller()
export class ContractsController {
  constructor(private readonly contracts: ContractsService) {}

  @Post('institutions/:id/contracts')
  @Roles('institution', 'admin')
  @Idempotent({ redact: ['payerToken'] })
  @ApiOperation({ summary: 'Sign a contract; it is checked against the jurisdiction policy and the institution eligibility' })
  @ApiCreatedResponse({ type: SignedContractDto })
  @ApiUnprocessableEntityResponse({ description: 'POLICY_VIOLATION with every violated rule: code, limit, value', type: ErrorBodyDto })
  async sign(@CurrentPrincipal() who: Principal, @Param('id', uuid) id: string, @Body() dto: SignContractDto): Promise<SignedContractDto> {
    const { contract, payerToken } = await this.contracts.sign(who, id, dto);
    return { ...ContractDto.from(contract), payerToken };
  }

  @Get('institutions/:id/contracts')
  @Roles('institution', 'admin', 'regulator')
  @ApiOperation({ summary: "An institution's contracts (keyset pages)" })
  async list(@CurrentPrincipal() who: Principal, @Param('id', uuid) id: string, @Query() q: PageQueryDto) {
    const limit = q.limit ?? 100;
    const rows = await this.contracts.list(who, id, limit, decodeCursor(q.cursor, ['uuid'])?.[0] ?? null);
    return { items: rows.map(ContractDto.from), nextCursor: rows.length === limit ? encodeCursor([rows[rows.length - 1].id]) : null };
  }

  @Get('contracts/:id')
  @Roles('institution', 'admin', 'regulator')
  @ApiOperation({ summary: 'A contract' })
  @ApiOkResponse({ type: ContractDto })
  @ApiNotFoundResponse({ type: ErrorBodyDto })
  async get(@CurrentPrincipal() who: Principal, @Param('id', uuid) id: string): Promise<ContractDto> {
    return ContractDto.from(await this.contracts.get(who, id));
  }

  @Post('contracts/:id/payer-token/revoke')
  @HttpCode(200)
  @Roles('institution', 'admin', 'regulator')
  @Idempotent()
  @ApiOperation({ summary: "Revoke the contract's payer access token" })
  @ApiOkResponse({ type: ContractDto })
  async revoke(@CurrentPrincipal() who: Principal, @Param('id', uuid) id: string): Promise<ContractDto> {
    return ContractDto.from(await this.contracts.revokePayerToken(who, id));
  }
}
