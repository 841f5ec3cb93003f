import { Controller, Get, Param, ParseUUIDPipe, Post, Query, RawBodyRequest, Req, Res } from '@nestjs/common';
import {
  ApiBadRequestResponse,
  ApiBody,
  ApiConsumes,
  ApiCreatedResponse,
  ApiNotFoundResponse,
  ApiOkResponse,
  ApiOperation,
  ApiPayloadTooLargeResponse,
  ApiTags,
  ApiUnprocessableEntityResponse,
} from '@nestjs/swagger';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CurrentPrincipal, Roles } from '@common/auth/auth.decorators';
import { Principal } from '@common/auth/principal';
import { ErrorBodyDto } from '@common/http/error-body.dto';
import { BankSigned } from '@modules/banks/bank-signature.guard';
import { StatementDto, StatementEntriesQueryDto, StatementImportDto } from './dto/statement.dto';
import { STATEMENT_CONTENT_TYPES } from './statement-body';
import { StatementsService } from './statements.service';

@ApiTags('banks')
@Controller()
export class StatementsController {
  constructor(private readonly statements: StatementsService) {}

  @Post('bank/statements')
  @BankSigned({ webhookId: 'Unique message id (Standard Webhooks), part of the signed content; repeats are recognised by the file’s SHA-256' })
  @ApiOperation({
    summary: 'The custody bank delivers a statement file (camt.053 .02-.08, MT940 or the CSV layout; signed; idempotent on the file)',
    description:
      'The body is the file as is. The format is detected from its content. Everything is refused with nothing stored when one statement names an account that is ' +
      'not an escrow account of this bank (404) or is in another currency (422); a statement whose opening + entries is not its closing is stored and flagged STATEMENT_INCONSISTENT.',
  })
  @ApiConsumes(...STATEMENT_CONTENT_TYPES)
  @ApiBody({ schema: { type: 'string', format: 'binary' } })
  @ApiCreatedResponse({
    type: StatementImportDto,
    description: 'The statements stored. The same file again answers 201 with the first answer and `Idempotent-Replayed: true`.',
    headers: { 'Idempotent-Replayed': { description: '`true` on a repeat of the same file', schema: { type: 'string', enum: ['true'] } } },
  })
  @ApiBadRequestResponse({ description: 'STATEMENT_UNREADABLE: none of the formats, or where parsing stopped (`details.at`: line or element)', type: ErrorBodyDto })
  @ApiNotFoundResponse({ description: 'ESCROW_ACCOUNT_NOT_FOUND: a statement names an account that is not an escrow account of this bank', type: ErrorBodyDto })
  @ApiUnprocessableEntityResponse({ description: "STATEMENT_CURRENCY_MISMATCH: a statement is not in its escrow account's currency", type: ErrorBodyDto })
  @ApiPayloadTooLargeResponse({ description: 'PAYLOAD_TOO_LARGE: over STATEMENT_MAX_BYTES', type: ErrorBodyDto })
  async import(@CurrentPrincipal() who: Principal, @Req() req: RawBodyRequest<FastifyRequest>, @Res({ passthrough: true }) reply: FastifyReply): Promise<StatementImportDto> {
    const { result, replayed } = await this.statements.import({ bankCode: who.bankCode!, receivedBy: who.id }, req.rawBody ?? Buffer.alloc(0));
    if (replayed) void reply.header('idempotent-replayed', 'true');
    return result;
  }

  @Get('bank/statements/:id')
  @Roles('bank', 'admin', 'regulator')
  @ApiOperation({ summary: 'A statement with a page of its entries (the bank that sent it, admins, regulators of the escrow account’s district)' })
  @ApiOkResponse({ type: StatementDto })
  @ApiNotFoundResponse({ description: 'STATEMENT_NOT_FOUND (also outside the caller’s scope)', type: ErrorBodyDto })
  async get(@CurrentPrincipal() who: Principal, @Param('id', new ParseUUIDPipe()) id: string, @Query() q: StatementEntriesQueryDto): Promise<StatementDto> {
    return this.statements.get(who, id, q.afterLine ?? 0, q.limit ?? 1000);
  }
}
