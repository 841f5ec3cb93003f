import { applyDecorators, createParamDecorator, ExecutionContext, SetMetadata } from '@nestjs/common';
import { ApiBearerAuth, ApiForbiddenResponse, ApiTooManyRequestsResponse, ApiUnauthorizedResponse } from '@nestjs/swagger';
import type { FastifyRequest } from 'fastify';
import { Principal, Role } from './principal';
import { ErrorBodyDto } from '../http/error-body.dto';

export const PUBLIC_METADATA = 'escrow:public';
export const ROLES_METADATA = 'escrow:roles';

/** No API key needed (health, metrics, docs). */
export const Public = () => SetMetadata(PUBLIC_METADATA, true);

/** Only these roles may call the endpoint; documents the bearer auth and its error answers. */
export const Roles = (...roles: Role[]) =>
  applyDecorators(
    SetMetadata(ROLES_METADATA, roles),
    ApiBearerAuth('api-key'),
    ApiUnauthorizedResponse({ description: 'UNAUTHENTICATED: missing or invalid API key', type: ErrorBodyDto }),
    ApiForbiddenResponse({ description: `FORBIDDEN: role is not one of ${roles.join(', ')}`, type: ErrorBodyDto }),
    ApiTooManyRequestsResponse({ description: 'RATE_LIMITED (with Retry-After)', type: ErrorBodyDto }),
  );

/** The authenticated caller. */
export const CurrentPrincipal = createParamDecorator((_: unknown, ctx: ExecutionContext): Principal => {
  const request = ctx.switchToHttp().getRequest<FastifyRequest>();
  if (!request.principal) throw new Error('CurrentPrincipal used on a public route');
  return request.principal;
});
