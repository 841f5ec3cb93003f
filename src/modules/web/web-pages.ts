import { existsSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { errorBody } from '@common/errors/error-body';

/** The built front end (`npm run build:web`, part of `npm run build`): `<repo>/dist/web`. */
export function webRoot(): string {
  let dir = __dirname;
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return join(dir, 'dist', 'web');
}

/** Same origin only: the pages call this service's API and nothing else. */
const CSP = "default-src 'self'; img-src 'self' data:; style-src 'self' 'unsafe-inline'; script-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'none'; form-action 'self'";

/**
 * Serves the regulator console (`/console`) and the parent's page (`/p/<token>`) from the same
 * process as the API. The HTML is small and never cached (`no-cache`: a new build is picked up at
 * once); the hashed assets under `/assets/` never change, so browsers keep them for a year.
 * The payer token stays in the page's path: no Referer leaves the page and the logs mask it.
 */
export async function registerWebPages(app: NestFastifyApplication): Promise<void> {
  const root = webRoot();
  const fastify = app.getHttpAdapter().getInstance();
  const html = (name: string) => {
    const file = join(root, name);
    // Read at request time when missing at boot: the build may run after a test process started.
    let cached = existsSync(file) ? readFileSync(file) : null;
    return (request: FastifyRequest, reply: FastifyReply) => {
      cached ??= existsSync(file) ? readFileSync(file) : null;
      if (!cached) {
        return reply.status(503).send(errorBody('SERVICE_UNAVAILABLE', 'The web pages are not built: run npm run build', request.id));
      }
      return reply
        .header('content-type', 'text/html; charset=utf-8')
        .header('cache-control', 'no-cache')
        .header('content-security-policy', CSP)
        .header('referrer-policy', 'no-referrer')
        .header('x-content-type-options', 'nosniff')
        .send(cached);
    };
  };
  const consolePage = html('console.html');
  const parentPage = html('parent.html');
  fastify.get('/console', consolePage);
  fastify.get('/console/*', consolePage);
  fastify.get('/p/:token', parentPage);
  await app.register(fastifyStatic as never, {
    root: join(root, 'assets'),
    prefix: '/assets/',
    decorateReply: false,
    index: false,
    // Hashed file names: a changed file is a new name, so a year of caching is safe.
    immutable: true,
    maxAge: '365d',
    // A missing asset answers the API's 404 shape, through the app's not-found handler.
    wildcard: true,
  });
}
