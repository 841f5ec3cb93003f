import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { errorBody } from '@common/errors/error-body';

/** Content types a statement file may be sent with; only `POST /bank/statements` accepts them. */
export const STATEMENT_CONTENT_TYPES = ['text/plain', 'application/xml', 'text/xml', 'text/csv', 'application/octet-stream'];

const STATEMENT_ROUTE = /^\/bank\/statements\/?(\?.*)?$/;

const mediaType = (header: string | undefined): string => (header ?? '').split(';')[0].trim().toLowerCase();

/**
 * Statement files are the request body as is: the parser keeps the raw Buffer (the bank's
 * signature is over those exact bytes; `rawBody` comes from the app option) up to
 * STATEMENT_MAX_BYTES (over it 413 PAYLOAD_TOO_LARGE, from Content-Length before reading). Every
 * other route still takes JSON only: these content types are 415 there before the body is read.
 */
export function registerStatementBodyParser(app: NestFastifyApplication, maxBytes: number): void {
  const fastify = app.getHttpAdapter().getInstance();
  fastify.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    if (STATEMENT_CONTENT_TYPES.includes(mediaType(request.headers['content-type'])) && !STATEMENT_ROUTE.test(request.url)) {
      return reply.status(415).header('x-request-id', request.id).send(errorBody('UNSUPPORTED_MEDIA_TYPE', 'Only JSON bodies are accepted here (statement files go to POST /bank/statements)', request.id));
    }
  });
  app.useBodyParser(STATEMENT_CONTENT_TYPES, { bodyLimit: maxBytes }, (_req, body, done) => done(null, body));
}
