import { Controller, Get, Header } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Public } from '@common/auth/auth.decorators';
import { MetricsService } from '@infra/metrics/metrics.service';
import { QueueService } from '@infra/queues/queue.service';

@ApiTags('operations')
@Controller('metrics')
export class MetricsController {
  constructor(
    private readonly metrics: MetricsService,
    private readonly queues: QueueService,
  ) {}

  @Get()
  @Public()
  @Header('content-type', 'text/plain; version=0.0.4; charset=utf-8')
  @ApiOperation({ summary: 'Prometheus metrics: HTTP latency, queue depths, job failures' })
  @ApiOkResponse({ description: 'Prometheus text exposition format', schema: { type: 'string' } })
  async scrape(): Promise<string> {
    const counts = await this.queues.counts().catch(() => null);
    if (counts) {
      for (const [queue, states] of Object.entries(counts)) {
        for (const [state, n] of Object.entries(states)) this.metrics.queueDepth.set({ queue, state }, n);
      }
    }
    return this.metrics.registry.metrics();
  }
}
