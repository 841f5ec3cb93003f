import { Column, CreateDateColumn, Entity, PrimaryGeneratedColumn } from 'typeorm';
import type { Role } from '../../common/auth/principal';

@Entity({ name: 'api_keys' })
export class ApiKeyEntity {
  @PrimaryGeneratedColumn('uuid')
  id: string;

  @Column('text')
  name: string;

  @Column('text')
  role: Role;

  @Column('text', { array: true, default: () => "'{}'" })
  districts: string[];

  @Column('uuid', { name: 'institution_id', nullable: true })
  institutionId: string | null;

  @Column('text', { name: 'bank_code', nullable: true })
  bankCode: string | null;

  @Column('text', { name: 'key_prefix' })
  keyPrefix: string;

  @Column('bytea', { name: 'key_hash', select: false })
  keyHash: Buffer;

  @Column('uuid', { name: 'created_by', nullable: true })
  createdBy: string | null;

  @CreateDateColumn({ name: 'created_at', type: 'timestamptz' })
  createdAt: Date;

  @Column('timestamptz', { name: 'revoked_at', nullable: true })
  revokedAt: Date | null;
}
