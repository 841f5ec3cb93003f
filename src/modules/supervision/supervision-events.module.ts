import { Module } from '@nestjs/common';
import { SupervisionEventsRepository } from './supervision-events.repository';
import { SupervisionEventsService } from './supervision-events.service';

/** Writing supervision events and escrow exceptions: imported by every module that raises one. */
@Module({ providers: [SupervisionEventsRepository, SupervisionEventsService], exports: [SupervisionEventsService] })
export class SupervisionEventsModule {}
