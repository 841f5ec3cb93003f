import { randomBytes } from 'node:crypto';
import { AddressInfo } from 'node:net';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import IORedis from 'ioredis';
import { createApp } from '@bootstrap/create-app';
import { loadConfig } from '@config/load-config';
import { DatabaseUrl } from '@infra/database/database-url';
import { ApiKeysService, CreateApiKeyCommand } from '@modules/api-keys/api-keys.service';
import { createTestDatabase, TestDatabase } from './test-db';

export type Backend = 'postgres' | 'redis';

/** The key ring sealing bank secrets in test apps (fixed, so apps and spawned workers on one database share it). */
export const TEST_BANK_SECRET_KEYS = `test-1:${Buffer.alloc(32, 7).toString('base64')}`;

/** Queue backends to test: PostgreSQL always, Redis too when REDIS_URL is set. */
export const QUEUE_BACKENDS: Backend[] = process.env.REDIS_URL ? ['postgres', 'redis'] : ['postgres'];

export interface TestApp {
  app: NestFastifyApplication;
  baseUrl: string;
  db: TestDatabase;
  env: Record<string, string>;
  adminKey: string;
  createKey(cmd: Omit<CreateApiKeyCommand, 'name'> & { name?: string }): Promise<string>;
  request(method: string, path: string, opts?: RequestOptions): Promise<TestResponse>;
  close(): Promise<void>;
}

export interface RequestOptions {
  key?: string | null;
  body?: unknown;
  rawBody?: string;
  headers?: Record<string, string>;
}

export interface TestResponse {
  status: number;
  headers: Headers;
  body: any;  
  text: string;
}

export interface TestAppOptions {
  backend?: Backend;
  env?: Record<string, string>;
  db?: TestDatabase;
}

/** A real app on a real, private database (and a private Redis prefix), listening on a free port. */
export async function startTestApp(opts: TestAppOptions = {}): Promise<TestApp> {
  const db = opts.db ?? (await createTestDatabase());
  const prefix = `t${randomBytes(5).toString('hex')}`;
  const env: Record<string, string> = {
    NODE_ENV: 'test',
    DATABASE_URL: db.url,
    LOG_LEVEL: 'silent',
    PORT: '0',
    HOST: '127.0.0.1',
    QUEUE_PREFIX: prefix,
    OUTBOX_POLL_MS: '50',
    SCHEDULER_ENABLED: 'false',
    BANK_SECRET_KEYS: TEST_BANK_SECRET_KEYS,
    ...(opts.backend === 'redis' ? { REDIS_URL: process.env.REDIS_URL! } : {}),
    ...opts.env,
  };
  const config = loadConfig(env);
  const app = await createApp(config, new DatabaseUrl(db.url, false));
  await app.listen({ port: 0, host: '127.0.0.1' });
  const { port } = app.getHttpServer().address() as AddressInfo;
  const baseUrl = `http://127.0.0.1:${port}`;
  const keys = app.get(ApiKeysService);
  const createKey = async (cmd: Omit<CreateApiKeyCommand, 'name'> & { name?: string }) =>
    (await keys.create({ name: cmd.name ?? `${cmd.role} test key`, ...cmd })).token;
  const adminKey = await createKey({ role: 'admin' });

  const request = async (method: string, path: string, o: RequestOptions = {}): Promise<TestResponse> => {
    const headers: Record<string, string> = { ...o.headers };
    const key = o.key === undefined ? adminKey : o.key;
    if (key) headers.authorization = `Bearer ${key}`;
    let body: string | undefined;
    if (o.rawBody !== undefined) body = o.rawBody;
    else if (o.body !== undefined) body = JSON.stringify(o.body);
    if (body !== undefined && !headers['content-type']) headers['content-type'] = 'application/json';
    const res = await fetch(`${baseUrl}${path}`, { method, headers, body });
    const text = await res.text();
    let parsed: unknown = text;
    try {
      parsed = text ? JSON.parse(text) : undefined;
    } catch {
      /* not JSON */
    }
    return { status: res.status, headers: res.headers, body: parsed, text };
  };

  return {
    app,
    baseUrl,
    db,
    env,
    adminKey,
    createKey,
    request,
    close: async () => {
      await app.close();
      if (env.REDIS_URL) await deleteRedisPrefix(env.REDIS_URL, prefix);
      if (!opts.db) await db.drop();
    },
  };
}

export async function deleteRedisPrefix(url: string, prefix: string): Promise<void> {
  const redis = new IORedis(url);
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 1000);
    if (keys.length) await redis.del(...keys);
    cursor = next;
  } while (cursor !== '0');
  await redis.quit();
}

/** Polls until `fn` returns a truthy value (or throws after `timeoutMs`). */
export async function eventually<T>(fn: () => Promise<T | undefined | null | false>, timeoutMs = 20000, everyMs = 100): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (err) {
      last = err;
    }
    if (Date.now() > deadline) throw new Error(`condition not met in ${timeoutMs} ms${last ? `: ${String(last)}` : ''}`);
    await new Promise((r) => setTimeout(r, everyMs));
  }
}
