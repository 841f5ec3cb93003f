import { DomainError } from '../errors/domain-error';

/**
 * Limits a JSON body must respect before anything validates it. class-validator and
 * class-transformer recurse over the whole body (unknown fields included), so a body nested
 * thousands of levels deep would overflow the stack in the validation pipe: the shape is checked
 * here, iteratively, right after parsing.
 */
export const JSON_LIMITS = {
  /** Objects and arrays inside one another (the API's own bodies need fewer than 6). */
  maxDepth: 32,
  /** Keys of one object. */
  maxKeys: 200,
  /** Elements of one array (a class session has at most 200 attendees). */
  maxArrayLength: 1000,
  /** Values in the whole body. */
  maxNodes: 20_000,
} as const;

/** C0 control characters and DEL, except tab, line feed and carriage return; and lone surrogates. */
// eslint-disable-next-line no-control-regex
const FORBIDDEN_CHARACTERS = /[\u0000-\u0008\u000b\u000c\u000e-\u001f\u007f]|[\ud800-\udbff](?![\udc00-\udfff])|(?<![\ud800-\udbff])[\udc00-\udfff]/;

/** Refuses text that PostgreSQL cannot store (NUL) or that has no business in an API value. */
export function hasForbiddenCharacters(text: string): boolean {
  return FORBIDDEN_CHARACTERS.test(text);
}

const tooComplex = (reason: string, details: Record<string, unknown>) =>
  new DomainError('BODY_TOO_COMPLEX', `Request body is too complex: ${reason}`, { ...details, limits: JSON_LIMITS });

const badCharacters = (path: string) =>
  new DomainError('INVALID_CHARACTERS', `${path || 'A value'} contains a control character (such as NUL) that is not allowed`, { field: path || null });

/** Returns the first problem of a parsed JSON body (not an object, too deep, too large, forbidden characters), or null. */
export function inspectJsonBody(body: unknown): DomainError | null {
  // Every body of this API is an object; `null` was quietly read as `{}` by the validation pipe.
  if (body === null || typeof body !== 'object' || Array.isArray(body)) {
    return new DomainError('VALIDATION_FAILED', 'The request body must be a JSON object', { violations: ['the request body must be a JSON object'] });
  }
  const stack: { value: unknown; depth: number; path: string }[] = [{ value: body, depth: 0, path: '' }];
  let nodes = 0;
  while (stack.length) {
    const { value, depth, path } = stack.pop()!;
    nodes += 1;
    if (nodes > JSON_LIMITS.maxNodes) return tooComplex(`more than ${JSON_LIMITS.maxNodes} values`, { values: nodes });
    if (typeof value === 'string') {
      if (hasForbiddenCharacters(value)) return badCharacters(path);
      continue;
    }
    if (value === null || typeof value !== 'object') continue;
    if (depth >= JSON_LIMITS.maxDepth) return tooComplex(`nested deeper than ${JSON_LIMITS.maxDepth} levels`, { field: path || null });
    if (Array.isArray(value)) {
      if (value.length > JSON_LIMITS.maxArrayLength) return tooComplex(`an array has more than ${JSON_LIMITS.maxArrayLength} elements`, { field: path || null, length: value.length });
      value.forEach((v, i) => stack.push({ value: v, depth: depth + 1, path: `${path}[${i}]` }));
      continue;
    }
    const keys = Object.keys(value);
    if (keys.length > JSON_LIMITS.maxKeys) return tooComplex(`an object has more than ${JSON_LIMITS.maxKeys} keys`, { field: path || null, keys: keys.length });
    for (const k of keys) {
      const child = path ? `${path}.${k}` : k;
      if (hasForbiddenCharacters(k)) return badCharacters(child);
      stack.push({ value: (value as Record<string, unknown>)[k], depth: depth + 1, path: child });
    }
  }
  return null;
}

/**
 * A body that failed parsing or inspection on a route whose requests are signed: the error waits
 * until the signature is verified, so an unsigned bad body is 401, never 400 (see BankSigned).
 */
export class DeferredBodyError {
  constructor(readonly error: unknown) {}
}
