import { Foundation1763800000000 } from './1763800000000-foundation';

/** Every migration, oldest first. Listed explicitly so compiled and ts-jest runs load the same set. */
export const ALL_MIGRATIONS = [Foundation1763800000000];
