import 'reflect-metadata';
import { parseArgs } from 'node:util';
import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module';
import { prepareDatabase } from './bootstrap/runtime';
import { ROLES, Role } from './common/auth/principal';
import { ConfigValidationError, loadConfig } from './config/load-config';
import { revertMigrations } from './infra/database/migrator';
import { ApiKeysService } from './modules/api-keys/api-keys.service';
import { BanksService } from './modules/banks/banks.service';

const USAGE = `Usage: npm run cli -- <command> [options]

  keys:create --role <admin|regulator|institution|bank> [--name N]
              [--district 310117 ...] [--institution <uuid>] [--bank <code>]
  keys:list
  keys:revoke <id>
  migrations:run
  migrations:revert [--steps N]
  banks:reencrypt       seal bank secrets still in plaintext or under an older key with the
                        first key of BANK_SECRET_KEYS (every start does it too)

Uses DATABASE_URL, or the embedded PostgreSQL in EMBEDDED_PG_DIR (joining a running one).`;

async function withKeys<T>(fn: (keys: ApiKeysService) => Promise<T>): Promise<T> {
  const config = loadConfig();
  config.PROCESS_ROLE = 'api'; // no workers, relay or schedules in a CLI process
  config.LOG_LEVEL = 'warn';
  const runtime = await prepareDatabase(config);
  const ctx = await NestFactory.createApplicationContext(AppModule.register(config, runtime.db), { logger: ['error', 'warn'] });
  try {
    return await fn(ctx.get(ApiKeysService));
  } finally {
    await ctx.close();
    await runtime.embedded?.stop();
  }
}

/** Boots the app context (whose start-up seals and re-seals bank secrets) and reports what it did. */
async function reencryptBanks(): Promise<string> {
  const config = loadConfig();
  config.PROCESS_ROLE = 'api';
  config.LOG_LEVEL = 'warn';
  const runtime = await prepareDatabase(config);
  try {
    const ctx = await NestFactory.createApplicationContext(AppModule.register(config, runtime.db), { logger: ['error', 'warn'] });
    try {
      const banks = ctx.get(BanksService);
      const boot = banks.lastSeal!;
      const now = await banks.sealAtRest(); // nothing left unless another process wrote meanwhile
      return `Bank secrets: ${now.banks} bank(s), all sealed with key ${now.keyId}; sealed ${boot.sealed + now.sealed} plaintext and re-sealed ${boot.resealed + now.resealed} bank(s) now.`;
    } finally {
      await ctx.close();
    }
  } finally {
    await runtime.embedded?.stop();
  }
}

async function main(argv: string[]): Promise<number> {
  const [command, ...rest] = argv;
  const { values, positionals } = parseArgs({
    args: rest,
    allowPositionals: true,
    options: {
      role: { type: 'string' },
      name: { type: 'string' },
      district: { type: 'string', multiple: true },
      institution: { type: 'string' },
      bank: { type: 'string' },
      steps: { type: 'string' },
    },
  });
  switch (command) {
    case 'keys:create': {
      const role = values.role as Role;
      if (!ROLES.includes(role)) throw new Error(`--role must be one of ${ROLES.join(', ')}`);
      const created = await withKeys((keys) =>
        keys.create({
          role,
          name: values.name ?? `${role} key (cli)`,
          districts: values.district,
          institutionId: values.institution,
          bankCode: values.bank,
        }),
      );
      process.stdout.write(`Created ${role} key ${created.key.id}\nAPI key (shown once): ${created.token}\n`);
      return 0;
    }
    case 'keys:list': {
      const list = await withKeys((keys) => keys.list());
      for (const k of list) {
        const scope = k.role === 'regulator' ? k.districts.join(',') : (k.institutionId ?? k.bankCode ?? '*');
        process.stdout.write(`${k.id}  ${k.role.padEnd(11)} ${scope.padEnd(20)} ${k.keyPrefix}…  ${k.revokedAt ? 'revoked' : 'active'}  ${k.name}\n`);
      }
      return 0;
    }
    case 'keys:revoke': {
      const id = positionals[0];
      if (!id) throw new Error('keys:revoke needs the key id');
      await withKeys((keys) => keys.revoke(id));
      process.stdout.write(`Revoked ${id}\n`);
      return 0;
    }
    case 'migrations:run': {
      const runtime = await prepareDatabase(loadConfig());
      process.stdout.write(`Applied: ${runtime.appliedMigrations.join(', ') || 'nothing (up to date)'}\n`);
      await runtime.embedded?.stop();
      return 0;
    }
    case 'migrations:revert': {
      const config = loadConfig();
      const runtime = await prepareDatabase(config);
      const n = await revertMigrations(runtime.db.url, values.steps ? Number(values.steps) : 1);
      process.stdout.write(`Reverted ${n} migration(s)\n`);
      await runtime.embedded?.stop();
      return 0;
    }
    case 'banks:reencrypt': {
      process.stdout.write(`${await reencryptBanks()}\n`);
      return 0;
    }
    default:
      process.stdout.write(`${USAGE}\n`);
      return command ? 2 : 0;
  }
}

main(process.argv.slice(2))
  .then((code) => process.exit(code))
  .catch((err: Error) => {
    process.stderr.write(`${err instanceof ConfigValidationError ? err.message : `Error: ${err.message}`}\n`);
    process.exit(1);
  });
