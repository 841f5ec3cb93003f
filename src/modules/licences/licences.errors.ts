import { DomainError } from '@common/errors/domain-error';
import { allowedActions, LicenceAction, LicenceState } from './licence-state-machine';

export const licenceNotFound = (id: string) => new DomainError('LICENCE_NOT_FOUND', `Licence ${id} not found`);
export const invalidTransition = (from: LicenceState, action: LicenceAction) =>
  new DomainError('INVALID_LICENCE_TRANSITION', `A licence that is ${from} cannot ${action.replace('_', ' ')}`, {
    state: from,
    action,
    allowed: allowedActions(from),
  });
export const duplicateApproval = (licenceId: string) =>
  new DomainError('DUPLICATE_APPROVAL', 'You have already approved this licence; joint review needs different reviewers', { licenceId });
