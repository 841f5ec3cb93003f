import { DomainError } from '@common/errors/domain-error';
import { UsccProblem } from './uscc';

export const invalidUscc = (code: string, problem: UsccProblem) =>
  new DomainError('INVALID_USCC', `Not a valid unified social credit code (${problem.toLowerCase().replace('_', ' ')})`, { uscc: code, problem });
export const institutionNotFound = (id: string) => new DomainError('INSTITUTION_NOT_FOUND', `Institution ${id} not found`);
export const institutionAlreadyRegistered = (uscc: string, id: string) =>
  new DomainError('INSTITUTION_ALREADY_REGISTERED', `An institution with credit code ${uscc} is already registered`, { uscc, institutionId: id });
