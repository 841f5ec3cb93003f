import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import { DataSource } from 'typeorm';
import { AppConfig } from '@config/app-config';
import { Principal, Role } from '@common/auth/principal';
import { isAdministrativeCode } from '@common/auth/access';
import { generateApiKeyToken, hashApiKeyToken, looksLikeApiKey } from './api-key-token';
import { apiKeyNotFound, invalidKeyScope } from './api-keys.errors';
import { ApiKey, ApiKeysRepository } from './api-keys.repository';

export interface CreateApiKeyCommand {
  name: string;
  role: Role;
  districts?: string[];
  institutionId?: string;
  bankCode?: string;
  createdBy?: string | null;
}

export interface CreatedApiKey {
  key: ApiKey;
  /** The secret, returned exactly once. */
  token: string;
}

@Injectable()
export class ApiKeysService {
  private readonly cache = new Map<string, { principal: Principal | null; until: number }>();

  constructor(
    @InjectDataSource() private readonly ds: DataSource,
    private readonly repo: ApiKeysRepository,
    private readonly config: AppConfig,
  ) {}

  async create(cmd: CreateApiKeyCommand): Promise<CreatedApiKey> {
    const districts = [...new Set(cmd.districts ?? [])];
    this.checkScope(cmd.role, districts, cmd.institutionId, cmd.bankCode);
    const { token, hash, prefix } = generateApiKeyToken();
    const key = await this.repo.insert(this.ds.manager, {
      name: cmd.name,
      role: cmd.role,
      districts: cmd.role === 'regulator' ? districts : [],
      institutionId: cmd.role === 'institution' ? cmd.institutionId! : null,
      bankCode: cmd.role === 'bank' ? cmd.bankCode! : null,
      keyPrefix: prefix,
      keyHash: hash,
      createdBy: cmd.createdBy ?? null,
    });
    return { key, token };
  }

  private checkScope(role: Role, districts: string[], institutionId?: string, bankCode?: string): void {
    if (role === 'regulator') {
      if (districts.length === 0) throw invalidKeyScope('A regulator key needs at least one district code');
      const bad = districts.filter((d) => !isAdministrativeCode(d));
      if (bad.length) throw invalidKeyScope('District codes are 6 digits', { invalid: bad });
    }
    if (role === 'institution' && !institutionId) throw invalidKeyScope('An institution key needs institutionId');
    if (role === 'bank' && !bankCode) throw invalidKeyScope('A bank key needs bankCode');
  }

  list(): Promise<ApiKey[]> {
    return this.repo.listAll(this.ds.manager);
  }

  async revoke(id: string): Promise<ApiKey> {
    const key = await this.repo.findById(this.ds.manager, id);
    if (!key) throw apiKeyNotFound(id);
    await this.repo.markRevoked(this.ds.manager, id);
    this.cache.clear();
    return (await this.repo.findById(this.ds.manager, id))!;
  }

  /** Resolves a bearer token to a principal; cached briefly so auth costs no query per request. */
  async authenticate(token: string): Promise<Principal | null> {
    if (!looksLikeApiKey(token)) return null;
    const now = Date.now();
    const cached = this.cache.get(token);
    if (cached && cached.until > now) return cached.principal;
    const key = await this.repo.findActiveByHash(this.ds.manager, hashApiKeyToken(token));
    const principal: Principal | null = key
      ? {
          id: key.id,
          name: key.name,
          role: key.role,
          districts: key.districts,
          institutionId: key.institutionId,
          bankCode: key.bankCode,
        }
      : null;
    if (this.config.AUTH_CACHE_SECONDS > 0) {
      if (this.cache.size > 10_000) this.cache.clear();
      this.cache.set(token, { principal, until: now + this.config.AUTH_CACHE_SECONDS * 1000 });
    }
    return principal;
  }

  async isEmpty(): Promise<boolean> {
    return (await this.repo.count(this.ds.manager)) === 0;
  }
}
