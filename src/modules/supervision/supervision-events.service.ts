import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource, EntityManager } from 'typeorm';
import { EscrowExceptionInput, SupervisionEventInput, SupervisionEventRow, SupervisionEventsRepository } from './supervision-events.repository';

export type { EscrowExceptionInput, Severity, SupervisionEventInput, SupervisionEventRow } from './supervision-events.repository';

export type EventListFilter = Parameters<SupervisionEventsRepository['list']>[1];

/**
 * Supervision events and escrow exceptions: what regulators are told. Every module that raises
 * one calls this service inside its own transaction, so the event exists if and only if the
 * change that caused it commits.
 */
@Injectable()
export class SupervisionEventsService {
  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly repo: SupervisionEventsRepository,
  ) {}

  /** Returns true when the event is new (one per dedupe key). */
  raise(m: EntityManager, e: SupervisionEventInput): Promise<boolean> {
    return this.repo.raise(m, e);
  }

  recordException(m: EntityManager, e: EscrowExceptionInput): Promise<string> {
    return this.repo.recordException(m, e);
  }

  list(filter: EventListFilter): Promise<SupervisionEventRow[]> {
    return this.repo.list(this.ds.manager, filter);
  }
}
