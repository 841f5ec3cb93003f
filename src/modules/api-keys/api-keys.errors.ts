import { DomainError } from '@common/errors/domain-error';

export const apiKeyNotFound = (id: string) => new DomainError('API_KEY_NOT_FOUND', `API key ${id} not found`);
export const invalidKeyScope = (message: string, details?: unknown) => new DomainError('INVALID_KEY_SCOPE', message, details);
