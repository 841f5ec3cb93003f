import { DomainError } from '@common/errors/domain-error';

/**
 * A file that is not a statement we can read. `where` names the line (`line 12`) or the element
 * (`Stmt[1]/Ntry[3]/Amt`, with its line when known) where parsing stopped.
 */
export class StatementParseError extends Error {
  constructor(
    readonly reason: string,
    readonly where: string,
  ) {
    super(`${reason} (at ${where})`);
    this.name = 'StatementParseError';
  }

  toDomainError(format: string | null): DomainError {
    return new DomainError('STATEMENT_UNREADABLE', `The statement file cannot be read: ${this.message}`, { format, reason: this.reason, at: this.where });
  }
}
