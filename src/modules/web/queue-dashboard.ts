import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { FastifyAdapter as BullBoardFastifyAdapter } from '@bull-board/fastify';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { errorBody } from '@common/errors/error-body';
import { QueueName } from '@infra/queues/queue.constants';
import { QueueService } from '@infra/queues/queue.service';
import { ApiKeysService } from '@modules/api-keys/api-keys.service';

export const QUEUE_DASHBOARD_PATH = '/admin/queues';
/** The console sets this cookie (path-scoped, SameSite=Strict) so a browser can open the dashboard with the admin key. */
export const QUEUE_DASHBOARD_COOKIE = 'esk_queues';

/**
 * What the dashboard may change: retrying failed jobs only. Everything else it offers (add,
 * remove, clean, empty, obliterate, pause, edit data) would bypass the outbox and the job
 * de-duplication this service relies on, so it is refused here.
 */
const ALLOWED_WRITES = [/\/api\/queues\/[^/]+\/[^/]+\/retry$/, /\/api\/queues\/[^/]+\/retry\/failed$/];

function keyOf(request: FastifyRequest): string | null {
  const header = request.headers.authorization;
  const bearer = typeof header === 'string' ? /^Bearer\s+(\S+)\s*$/i.exec(header) : null;
  if (bearer) return bearer[1];
  const cookie = request.headers.cookie ?? '';
  const m = new RegExp(`(?:^|;\\s*)${QUEUE_DASHBOARD_COOKIE}=([^;]+)`).exec(cookie);
  return m ? decodeURIComponent(m[1]) : null;
}

/**
 * bull-board (`@bull-board/api` with its Fastify adapter) around the service's own BullMQ queue
 * objects, at /admin/queues, for admins only: the admin key as a Bearer header, or the cookie the
 * console sets. The JSON summary moved to /admin/queues/summary (a Nest route, unchanged).
 */
export async function registerQueueDashboard(app: NestFastifyApplication): Promise<void> {
  const queues = app.get(QueueService);
  const keys = app.get(ApiKeysService);
  const serverAdapter = new BullBoardFastifyAdapter();
  serverAdapter.setBasePath(QUEUE_DASHBOARD_PATH);
  createBullBoard({
    queues: Object.values(QueueName).map((name) => new BullMQAdapter(queues.queue(name), { allowRetries: true, readOnlyMode: false })),
    serverAdapter,
    options: { uiConfig: { boardTitle: 'escrow-supervision queues' } },
  });

  const guard = async (request: FastifyRequest, reply: FastifyReply) => {
    const token = keyOf(request);
    const principal = token ? await keys.authenticate(token) : null;
    if (!principal) return reply.status(401).send(errorBody('UNAUTHENTICATED', 'The queue dashboard needs an admin API key (Bearer header, or sign in to /console as an admin)', request.id));
    if (principal.role !== 'admin') return reply.status(403).send(errorBody('FORBIDDEN', 'The queue dashboard is for: admin', request.id));
    const path = request.url.split('?')[0];
    if (request.method !== 'GET' && request.method !== 'HEAD' && !ALLOWED_WRITES.some((r) => r.test(path))) {
      return reply.status(403).send(errorBody('FORBIDDEN', 'The queue dashboard may only retry failed jobs here', request.id));
    }
  };
  const fastify = app.getHttpAdapter().getInstance() as unknown as FastifyInstance;
  await fastify.register(async (scope: FastifyInstance) => {
    scope.addHook('onRequest', guard);
    await scope.register(serverAdapter.registerPlugin() as never, { prefix: QUEUE_DASHBOARD_PATH });
  });
}
