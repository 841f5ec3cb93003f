import 'reflect-metadata';
import { existsSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { INestApplicationContext } from '@nestjs/common';
import { NestFactory } from '@nestjs/core';
import { AppModule } from './app.module';
import { DatabaseRuntime, prepareDatabase } from './bootstrap/runtime';
import { ROLES, Role } from './common/auth/principal';
import { DomainError } from './common/errors/domain-error';
import { AppConfig } from './config/app-config';
import { ConfigValidationError, loadConfig } from './config/load-config';
import { revertMigrations } from './infra/database/migrator';
import { EmbeddedDatabaseMissingError } from './infra/embedded/embedded-postgres.runtime';
import { readRunningService } from './infra/embedded/service-info';
import { ApiKeysService } from './modules/api-keys/api-keys.service';
import { BanksService } from './modules/banks/banks.service';
import { LedgerChainService } from './modules/ledger/ledger-chain.service';
import { ActionLogService } from './modules/action-log/action-log.service';
import { StatementsService } from './modules/statements/statements.service';

const USAGE = `Usage: npm run cli -- <command> [options]

  keys:create --role <admin|regulator|institution|bank> [--name N]
              [--district 310117 ...] [--institution <uuid>] [--bank <code>]
  keys:list
  keys:revoke <id>
  migrations:run
  migrations:revert [--steps N]
  banks:reencrypt       seal bank secrets still in plaintext or under an older key with the
                        first key of BANK_SECRET_KEYS (every start does it too)
  ledger:verify         recompute the ledger's hash chains; exit 1 and name the first broken
                        transaction if a row was changed, removed or written around the ledger
  action-log:verify     the same for the action log (exit 1 and name the first broken entry)
  statements:import FILE --bank <code>
                        import a bank statement file (camt.053, MT940 or the CSV layout) for a
                        bank that delivers by file transfer; the same file again changes nothing

Uses DATABASE_URL, or the embedded PostgreSQL in EMBEDDED_PG_DIR (default ./.data/postgres): it joins
the one a running \`npm start\` uses, or starts a stopped one for the command. Only migrations:run
creates an empty one; the other commands stop with an error instead.`;

/** A mistake of the caller: printed as is, without a stack or an "Error:" prefix. */
class CliError extends Error {}

function missingDatabase(dataDir: string): string {
  return [
    `No database to use: DATABASE_URL is unset and ${dataDir} holds no embedded PostgreSQL (running or stopped).`,
    'The CLI works on the service\'s database and does not create an empty one. Either:',
    '  - start the service first (npm start) and run this command again from the same directory, or',
    '  - pass the database your service uses:   DATABASE_URL=postgres://… npm run cli -- <command>, or',
    '  - pass the data directory it was started with:   EMBEDDED_PG_DIR=<dir> npm run cli -- <command>',
  ].join('\n');
}

/**
 * The database of the command. Says on stderr which one it is (stdout stays the command's output), so
 * a CLI next to a running service can never silently work on another database.
 */
async function openDatabase(config: AppConfig, createEmbedded: boolean): Promise<DatabaseRuntime> {
  const service = config.DATABASE_URL ? null : readRunningService(config.EMBEDDED_PG_DIR);
  let runtime: DatabaseRuntime;
  try {
    runtime = await prepareDatabase(config, () => undefined, { createEmbedded });
  } catch (err) {
    if (err instanceof EmbeddedDatabaseMissingError) throw new CliError(missingDatabase(err.dataDir));
    throw err;
  }
  const e = runtime.embedded;
  if (!e) return runtime;
  let note: string;
  if (!e.owned && service && service.databasePort === e.port) {
    note = `Using the database of the running service (pid ${service.pid}, ${service.apiUrl}): embedded PostgreSQL in ${e.dataDir}, port ${e.port}.`;
  } else if (!e.owned) {
    note = `Joined the embedded PostgreSQL running in ${e.dataDir} (port ${e.port}).`;
  } else if (e.created) {
    note = `Created a new embedded PostgreSQL in ${e.dataDir}.`;
  } else {
    note = `No service is running on ${e.dataDir}: started its embedded PostgreSQL for this command only.`;
  }
  process.stderr.write(`${note}\n`);
  return runtime;
}

/**
 * Runs `fn` with the application context on the service's database (never a new empty one; stderr
 * says which one): no workers, relay or schedules in a CLI process.
 */
async function withApp<T>(fn: (ctx: INestApplicationContext) => Promise<T>): Promise<T> {
  const config = loadConfig();
  config.PROCESS_ROLE = 'api';
  config.LOG_LEVEL = 'warn';
  const runtime = await openDatabase(config, false);
  try {
    const ctx = await NestFactory.createApplicationContext(AppModule.register(config, runtime.db), { logger: ['error', 'warn'] });
    try {
      return await fn(ctx);
    } finally {
      await ctx.close();
    }
  } finally {
    await runtime.embedded?.stop();
  }
}

const withKeys = <T>(fn: (keys: ApiKeysService) => Promise<T>): Promise<T> => withApp((ctx) => fn(ctx.get(ApiKeysService)));

/** Boots the app context (whose start-up seals and re-seals bank secrets) and reports what it did. */
function reencryptBanks(): Promise<string> {
  return withApp(async (ctx) => {
    const banks = ctx.get(BanksService);
    const boot = banks.lastSeal!;
    const now = await banks.sealAtRest(); // nothing left unless another process wrote meanwhile
    return `Bank secrets: ${now.banks} bank(s), all sealed with key ${now.keyId}; sealed ${boot.sealed + now.sealed} plaintext and re-sealed ${boot.resealed + now.resealed} bank(s) now.`;
  });
}

/** Imports a statement file as its bank would deliver it (same checks, same storage, same idempotency). */
async function importStatements(file: string, bankCode: string): Promise<string> {
  try {
    return await withApp(async (ctx) => {
      const { result, replayed } = await ctx.get(StatementsService).importFile({ bankCode, receivedBy: 'cli' }, file);
      const lines = result.statements.map(
        (s) =>
          `  #${s.position} ${s.accountNumber} ${s.statementDate} ${s.currency}: ${s.entries} entries, credits ${s.credits}, debits ${s.debits}, ` +
          `opening ${s.openingBalance}, closing ${s.closingBalance}${s.consistent ? '' : ' STATEMENT_INCONSISTENT'}${s.supersedesId ? ` (supersedes ${s.supersedesId})` : ''} [${s.id}]`,
      );
      return [`${replayed ? 'Already imported' : 'Imported'} ${result.format} file ${result.fileId} (sha256 ${result.sha256}): ${result.statements.length} statement(s)`, ...lines].join('\n');
    });
  } catch (err) {
    // A refusal of the file (unreadable, unknown account, currency) is the caller's to fix: say it plainly.
    if (err instanceof DomainError) throw new CliError(`${err.code}: ${err.message}`);
    throw err;
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
      const runtime = await openDatabase(loadConfig(), true);
      process.stdout.write(`Applied: ${runtime.appliedMigrations.join(', ') || 'nothing (up to date)'}\n`);
      await runtime.embedded?.stop();
      return 0;
    }
    case 'migrations:revert': {
      const config = loadConfig();
      const runtime = await openDatabase(config, false);
      const n = await revertMigrations(runtime.db.url, values.steps ? Number(values.steps) : 1);
      process.stdout.write(`Reverted ${n} migration(s)\n`);
      await runtime.embedded?.stop();
      return 0;
    }
    case 'banks:reencrypt': {
      process.stdout.write(`${await reencryptBanks()}\n`);
      return 0;
    }
    case 'ledger:verify': {
      const r = await withApp((ctx) => ctx.get(LedgerChainService).verify());
      if (r.ok) {
        process.stdout.write(`Ledger hash chains intact: ${r.transactions} transaction(s) in ${r.chains} chains; heads digest ${r.headsDigest}\n`);
        return 0;
      }
      const b = r.firstBroken!;
      process.stdout.write(
        `LEDGER CHAIN BROKEN: first broken transaction ${b.transactionId} (${b.reason}${b.chain === null ? '' : `, chain ${b.chain}, seq ${b.seq}`}); ` +
          `${r.brokenChains} broken chain(s), ${r.transactions} transaction(s) walked\n`,
      );
      return 1;
    }
    case 'action-log:verify': {
      const r = await withApp((ctx) => ctx.get(ActionLogService).verify());
      if (r.ok) {
        process.stdout.write(`Action log chains intact: ${r.entries} entries\n`);
        return 0;
      }
      process.stdout.write(`ACTION LOG CHAIN BROKEN: first broken entry ${r.firstBroken!.transactionId} (${r.firstBroken!.reason}); ${r.entries} entries walked\n`);
      return 1;
    }
    case 'statements:import': {
      const file = positionals[0];
      if (!file || !values.bank) throw new CliError('statements:import needs the file and --bank <code>');
      if (!existsSync(file)) throw new CliError(`No such file: ${file}`);
      process.stdout.write(`${await importStatements(file, values.bank)}\n`);
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
    process.stderr.write(`${err instanceof ConfigValidationError || err instanceof CliError ? err.message : `Error: ${err.message}`}\n`);
    process.exit(1);
  });
