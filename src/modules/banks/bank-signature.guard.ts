import { applyDecorators, CanActivate, ExecutionContext, Injectable, RawBodyRequest, UseGuards } from '@nestjs/common';
import { ApiHeader, ApiUnauthorizedResponse } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { Roles } from '@common/auth/auth.decorators';
import { DomainError } from '@common/errors/domain-error';
import { DeferredBodyError } from '@common/http/json-body';
import { ErrorBodyDto } from '@common/http/error-body.dto';
import { BanksService } from './banks.service';

/**
 * Verifies the Standard Webhooks signature of a bank's request over the exact bytes received.
 * Guards run after the global API-key guard (which sets the principal) and before pipes, so a
 * forged or unsigned request is 401 INVALID_SIGNATURE whatever its body, and its body is never
 * validated or read.
 */
@Injectable()
export class BankSignatureGuard implements CanActivate {
  constructor(private readonly banks: BanksService) {}

  async canActivate(context: ExecutionContext): Promise<boolean> {
    const request = context.switchToHttp().getRequest<RawBodyRequest<FastifyRequest>>();
    const bankCode = request.principal?.bankCode;
    if (!bankCode) throw new DomainError('INVALID_SIGNATURE', 'Only a bank key can send signed bank webhooks');
    await this.banks.verify(bankCode, request.rawBody, request.headers);
    // Signed by the bank: now its body may be refused (malformed or too complex JSON).
    if (request.body instanceof DeferredBodyError) throw request.body.error;
    return true;
  }
}

/**
 * A bank-only endpoint whose requests are signed (Standard Webhooks v1): the API-key role check,
 * the signature guard and the OpenAPI description of the three signature headers in one place.
 */
export const BankSigned = (opts: { webhookId?: string } = {}) =>
  applyDecorators(
    Roles('bank'),
    UseGuards(BankSignatureGuard),
    ApiHeader({ name: 'webhook-id', required: true, description: opts.webhookId ?? 'Unique message id (Standard Webhooks), part of the signed content' }),
    ApiHeader({ name: 'webhook-timestamp', required: true, description: 'Unix seconds when the bank signed; refused when more than 5 minutes away from now' }),
    ApiHeader({
      name: 'webhook-signature',
      required: true,
      description:
        'Space-separated `v1,<base64 HMAC-SHA256>` of `{webhook-id}.{webhook-timestamp}.{raw body}` with a current signing secret of the bank ' +
        '(during a rotation any of its secrets verifies). Checked before the body is validated.',
    }),
    // Overrides the 401 text of Roles(): the same status has two reasons here.
    ApiUnauthorizedResponse({
      description: 'UNAUTHENTICATED: missing or invalid API key; INVALID_SIGNATURE: missing, forged or stale (over 5 minutes) signature, whatever the body',
      type: ErrorBodyDto,
    }),
  );
