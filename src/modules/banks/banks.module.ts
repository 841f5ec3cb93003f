import { Global, Logger, Module } from '@nestjs/common';
import { AppConfig } from '@config/app-config';
import { resolveBankKeyRing } from './bank-key-ring';
import { BankSignatureGuard } from './bank-signature.guard';
import { BanksController } from './banks.controller';
import { BanksRepository } from './banks.repository';
import { BANK_SECRET_BOX, BanksService } from './banks.service';
import { SecretBox } from './secret-box';

/**
 * Owns `banks` and `bank_events`. Global like the API-key module, for the same reason: its guard
 * (BankSignatureGuard) runs on bank endpoints that live in other modules (bank credits,
 * settlement results), and its service is a registry lookup used across the layers above it.
 */
@Global()
@Module({
  controllers: [BanksController],
  providers: [
    {
      provide: BANK_SECRET_BOX,
      inject: [AppConfig],
      useFactory: (config: AppConfig) => {
        const ring = resolveBankKeyRing(config);
        new Logger('BanksModule').log(`Bank signing secrets sealed with key ${ring.keys[0].id} from ${ring.source}`);
        return new SecretBox(ring.keys);
      },
    },
    BanksRepository,
    BanksService,
    BankSignatureGuard,
  ],
  exports: [BanksService, BankSignatureGuard, BANK_SECRET_BOX],
})
export class BanksModule {}
