import { Module } from '@nestjs/common';
import { SupervisionEventsRepository } from './supervision-events.repository';

/** Writing supervision events and escrow exceptions: imported by every module that raises one. */
@Module({ providers: [SupervisionEventsRepository], exports: [SupervisionEventsRepository] })
export class SupervisionEventsModule {}
