import { Module } from '@nestjs/common';
import { LoggerModule } from 'nestjs-pino';
import type { IncomingMessage } from 'node:http';
import { AppConfig } from '@config/app-config';
import { resolveRequestId } from './request-id';

/** JSON logs (pino); every line logged during a request carries its `reqId`. */
@Module({
  imports: [
    LoggerModule.forRootAsync({
      inject: [AppConfig],
      useFactory: (config: AppConfig) => ({
        pinoHttp: {
          level: config.LOG_LEVEL,
          genReqId: (req: IncomingMessage) => resolveRequestId(req),
          // Every line logged while serving a request (ours and the request log) carries its id.
          customProps: (req: IncomingMessage) => ({ requestId: resolveRequestId(req) }),
          redact: ['req.headers.authorization', 'req.headers["webhook-signature"]'],
          autoLogging: { ignore: (req: IncomingMessage) => (req.url ?? '').startsWith('/health') || req.url === '/metrics' },
          serializers: {
            // The parent's page carries the payer token in its path: never write it to a log.
            req: (req: { method: string; url: string }) => ({ method: req.method, url: req.url.replace(/^\/p\/[^/?#]+/, '/p/***') }),
          },
        },
      }),
    }),
  ],
})
export class LoggingModule {}
