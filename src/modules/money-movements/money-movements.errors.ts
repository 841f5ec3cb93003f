import { DomainError } from '@common/errors/domain-error';

/** A movement that does not exist, or that the caller may not see (the same answer: 404). */
export const movementNotFound = (id: string) => new DomainError('SETTLEMENT_INSTRUCTION_NOT_FOUND', `Settlement instruction ${id} not found`);
