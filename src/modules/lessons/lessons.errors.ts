import { DomainError } from '@common/errors/domain-error';

export const lessonNotFound = (id: string) => new DomainError('LESSON_NOT_FOUND', `Lesson ${id} not found`);
export const invalidLessonTransition = (state: string, action: string) =>
  new DomainError('INVALID_LESSON_TRANSITION', `A lesson that is ${state} cannot be ${action}`, { state, action });
