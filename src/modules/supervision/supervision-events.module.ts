import { Module } from '@nestjs/common';
import { SupervisionEventsRepository } from './supervision-events.repository';

/** Writing supervision events: imported by every module that raises one. */
@Module({ providers: [SupervisionEventsRepository], exports: [SupervisionEventsRepository] })
export class SupervisionEventsModule {}
