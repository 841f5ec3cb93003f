import { ValidationPipe } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import type { IncomingMessage } from 'node:http';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { Logger } from 'nestjs-pino';
import { AppModule } from '../app.module';
import { errorBody } from '@common/errors/error-body';
import { DeferredBodyError, inspectJsonBody } from '@common/http/json-body';
import { clientErrorHandler, forbiddenCharactersInUrl, frameworkErrorHandler, unsupportedCharset } from '@common/http/platform-errors';
import { validationException } from '@common/http/validation-exception';
import { resolveRequestId } from '@infra/logging/request-id';
import { AppConfig } from '@config/app-config';
import { DatabaseUrl } from '@infra/database/database-url';
import { MetricsService } from '@infra/metrics/metrics.service';
import { ActionLogService } from '@modules/action-log/action-log.service';
import { registerStatementBodyParser } from '@modules/statements/statement-body';
import { registerWeb } from '@modules/web/web';

const WORKER_ROUTES = /^\/(health\/|metrics)/;

/** Builds the HTTP application (not yet listening). Used by `main.ts` and the tests. */
export async function createApp(config: AppConfig, db: DatabaseUrl): Promise<NestFastifyApplication> {
  const adapter = new FastifyAdapter({
    bodyLimit: config.BODY_LIMIT_BYTES,
    genReqId: (req: IncomingMessage) => resolveRequestId(req),
    logger: false,
    trustProxy: true,
    // Fastify's and Node's own refusals (414 for a too long parameter, a bad URL, a malformed request) in the error shape.
    frameworkErrors: frameworkErrorHandler,
    clientErrorHandler,
  });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.register(config, db), adapter, {
    bufferLogs: true,
    abortOnError: false,
    // Bank webhooks are verified over the exact bytes received.
    rawBody: true,
  });
  app.useLogger(app.get(Logger));
  registerJsonParser(app, config.BODY_LIMIT_BYTES);
  registerStatementBodyParser(app, config.STATEMENT_MAX_BYTES);
  app.useGlobalPipes(
    new ValidationPipe({
      whitelist: true,
      forbidNonWhitelisted: true,
      transform: true,
      transformOptions: { enableImplicitConversion: false },
      validationError: { target: false, value: false },
      exceptionFactory: validationException,
    }),
  );

  const fastify = app.getHttpAdapter().getInstance();
  const metrics = app.get(MetricsService);
  fastify.addHook('onRequest', async (request: FastifyRequest, reply: FastifyReply) => {
    void reply.header('x-request-id', request.id);
    if (config.PROCESS_ROLE === 'worker' && !WORKER_ROUTES.test(request.url)) {
      return reply.status(404).send(errorBody('NOT_FOUND', 'This is a worker process', request.id));
    }
    const problem = forbiddenCharactersInUrl(request);
    if (problem) return reply.status(problem.status).send(errorBody(problem.code, problem.message, request.id, problem.details));
  });
  // The action log: written before the answer leaves, so no caller sees an outcome the log does not hold.
  const actionLog = app.get(ActionLogService);
  fastify.addHook('onSend', async (request: FastifyRequest, reply: FastifyReply, payload: unknown) => {
    await actionLog.record({
      principal: request.principal,
      method: request.method,
      route: request.routeOptions?.url ?? request.url.split('?')[0],
      params: request.params as Record<string, string> | undefined,
      requestId: String(request.id),
      status: reply.statusCode,
    });
    return payload;
  });
  fastify.addHook('onResponse', async (request: FastifyRequest, reply: FastifyReply) => {
    const route = request.routeOptions?.url ?? 'unmatched';
    metrics.httpDuration.observe({ method: request.method, route, status: String(reply.statusCode) }, reply.elapsedTime / 1000);
  });
  // The console, the parent's page and the queue dashboard (not in the OpenAPI document).
  await registerWeb(app);
  if (config.DOCS_ENABLED) {
    const doc = SwaggerModule.createDocument(
      app,
      new DocumentBuilder()
        .setTitle('escrow-supervision')
        .setDescription(
          'Supervision of prepaid tuition held in bank escrow. Every error is `{ error: { code, message, details }, requestId }`. ' +
            'Mutating endpoints accept `Idempotency-Key`.',
        )
        .setVersion('0.1.0')
        .addBearerAuth({ type: 'http', scheme: 'bearer', description: 'API key' }, 'api-key')
        .build(),
    );
    SwaggerModule.setup('docs', app, doc, { jsonDocumentUrl: 'openapi.json', yamlDocumentUrl: 'openapi.yaml' });
  }
  return app;
}

/** Signed bank webhooks: their signature is checked before their body may be refused. */
const SIGNED_ROUTES = /^\/bank\//;

/**
 * JSON bodies: Fastify's own parser (prototype poisoning refused), the raw bytes kept for
 * signature checks, then the shape inspected before any validation runs (an object at the top,
 * depth, size, control characters; UTF-8 only). On signed bank routes a bad body is handed on as a DeferredBodyError, so the
 * signature guard answers first. Only JSON is accepted; any other content type is 415.
 */
function registerJsonParser(app: NestFastifyApplication, bodyLimit: number): void {
  const fastify = app.getHttpAdapter().getInstance();
  const parseJson = fastify.getDefaultJsonParser('error', 'error');
  // rawBody (kept on the request) comes from the app option `rawBody: true`.
  app.useBodyParser('application/json', { bodyLimit }, (req, body, done) => {
    parseJson(req as FastifyRequest, body.toString('utf8'), (err: Error | null, value?: unknown) => {
      const problem = err ?? unsupportedCharset(req.headers['content-type']) ?? inspectJsonBody(value);
      if (!problem) return done(null, value);
      if (SIGNED_ROUTES.test(req.url)) return done(null, new DeferredBodyError(problem));
      done(problem as Error);
    });
  });
}

