import { plainToInstance } from 'class-transformer';
import { validateSync, ValidationError } from 'class-validator';
import { AppConfig } from './app-config';

export class ConfigValidationError extends Error {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigValidationError';
  }
}

const KNOWN_KEYS = Object.keys(new AppConfig());
KNOWN_KEYS.push('DATABASE_URL', 'REDIS_URL');

/** Never echoed in an error message (the message goes to logs). */
const SECRET_KEYS = new Set(['BANK_SECRET_KEYS']);

function describe(errors: ValidationError[]): string[] {
  return errors.map((e) => {
    const reasons = Object.values(e.constraints ?? {}).join('; ');
    const shown = SECRET_KEYS.has(e.property) && e.value !== undefined ? '"<redacted>"' : JSON.stringify(e.value);
    return `${e.property}=${shown}: ${reasons}`;
  });
}

/**
 * The only reader of the environment. Returns a validated, typed config or throws one
 * error that names every bad variable (so an operator fixes them all in one go).
 */
export function loadConfig(env: NodeJS.ProcessEnv = process.env): AppConfig {
  const raw: Record<string, string> = {};
  for (const key of new Set(KNOWN_KEYS)) {
    const value = env[key];
    if (value !== undefined) raw[key] = value;
  }
  const config = plainToInstance(AppConfig, raw, { exposeDefaultValues: true });
  const errors = validateSync(config, { whitelist: false, forbidUnknownValues: false });
  if (errors.length > 0) throw new ConfigValidationError(describe(errors));
  return config;
}
