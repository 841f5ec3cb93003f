import { Controller, Get, HttpCode, Res } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiServiceUnavailableResponse, ApiTags } from '@nestjs/swagger';
import type { FastifyReply } from 'fastify';
import { Public } from '@common/auth/auth.decorators';
import { QueueService } from '@infra/queues/queue.service';
import { HealthRepository } from './health.repository';

const TIMEOUT_MS = 2000;

async function check(name: string, fn: () => Promise<unknown>): Promise<{ name: string; ok: boolean; error?: string }> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      fn(),
      new Promise((_, reject) => {
        timer = setTimeout(() => reject(new Error(`timed out after ${TIMEOUT_MS} ms`)), TIMEOUT_MS);
      }),
    ]);
    return { name, ok: true };
  } catch (err) {
    return { name, ok: false, error: err instanceof Error ? err.message : String(err) };
  } finally {
    if (timer) clearTimeout(timer);
  }
}

@ApiTags('operations')
@Controller('health')
export class HealthController {
  constructor(
    private readonly db: HealthRepository,
    private readonly queues: QueueService,
  ) {}

  @Get('live')
  @Public()
  @HttpCode(200)
  @ApiOperation({ summary: 'Liveness: the process answers' })
  @ApiOkResponse({ schema: { example: { status: 'ok' } } })
  live() {
    return { status: 'ok' };
  }

  @Get('ready')
  @Public()
  @ApiOperation({ summary: 'Readiness: database and queue backend reachable' })
  @ApiOkResponse({ schema: { example: { status: 'ok', checks: { database: 'ok', queue: 'ok' } } } })
  @ApiServiceUnavailableResponse({ description: 'A dependency is down' })
  async ready(@Res({ passthrough: true }) reply: FastifyReply) {
    const results = await Promise.all([
      check('database', () => this.db.ping()),
      check('queue', () => this.queues.ping()),
    ]);
    const ok = results.every((r) => r.ok);
    void reply.status(ok ? 200 : 503);
    return {
      status: ok ? 'ok' : 'unavailable',
      queueBackend: this.queues.backendKind,
      checks: Object.fromEntries(results.map((r) => [r.name, r.ok ? 'ok' : r.error])),
    };
  }
}
