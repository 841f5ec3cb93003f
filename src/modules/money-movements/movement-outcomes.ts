import { Injectable } from '@nestjs/common';
import { EntityManager } from 'typeorm';
import { MovementRow } from './money-movement.types';

/**
 * Told, in the transaction of the change, that a movement whose source starts with the listener's
 * prefix (e.g. `refund.`) was executed or failed by the bank, or re-instructed after a failure:
 * the use case that caused a movement follows it without the callback path knowing any use case
 * or kind.
 */
export type MovementOutcomeListener = (m: EntityManager, outcome: 'executed' | 'failed' | 'reinstructed', movement: MovementRow) => Promise<void>;

export type ReinstructionGuard = (m: EntityManager, failed: MovementRow) => Promise<void>;

/** The listeners, registered by use cases at start (one registry per process). */
@Injectable()
export class MovementOutcomes {
  private readonly listeners: { prefix: string; listener: MovementOutcomeListener }[] = [];
  private readonly guards: ReinstructionGuard[] = [];

  on(sourcePrefix: string, listener: MovementOutcomeListener): void {
    this.listeners.push({ prefix: sourcePrefix, listener });
  }

  /**
   * A use case may refuse that a failed movement is sent again (a closure whose payers are owed
   * refuses failed releases to the institution): the guard throws a DomainError, in the
   * re-instruction's transaction, before anything is written.
   */
  guardReinstruction(guard: ReinstructionGuard): void {
    this.guards.push(guard);
  }

  async checkReinstruction(m: EntityManager, movement: MovementRow): Promise<void> {
    for (const g of this.guards) await g(m, movement);
  }

  async notify(m: EntityManager, outcome: 'executed' | 'failed' | 'reinstructed', movement: MovementRow): Promise<void> {
    for (const l of this.listeners) if (movement.source_ref.startsWith(l.prefix)) await l.listener(m, outcome, movement);
  }
}
