import { Controller, Get, HttpCode, Param, Post } from '@nestjs/common';
import { ApiNotFoundResponse, ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Roles } from '@common/auth/auth.decorators';
import { ErrorBodyDto } from '@common/http/error-body.dto';
import { Idempotent } from '@common/idempotency/idempotent.decorator';
import { QueueAdminService } from './queue-admin.service';

@ApiTags('admin')
@Controller('admin/queues')
@Roles('admin')
export class QueueAdminController {
  constructor(private readonly service: QueueAdminService) {}

  @Get('summary')
  @ApiOperation({ summary: 'Every queue: job counts by state and the latest failed jobs (the dashboard itself is at /admin/queues)' })
  @ApiOkResponse({ description: 'One entry per queue' })
  overview() {
    return this.service.overview();
  }

  @Post(':queue/jobs/:id/retry')
  @HttpCode(200)
  @Idempotent()
  @ApiOperation({ summary: 'Retry a failed job' })
  @ApiOkResponse({ description: 'The job is waiting again' })
  @ApiNotFoundResponse({ type: ErrorBodyDto })
  retry(@Param('queue') queue: string, @Param('id') id: string) {
    return this.service.retry(queue, id);
  }
}
