import { Controller, Get } from '@nestjs/common';
import { ApiOkResponse, ApiOperation, ApiTags } from '@nestjs/swagger';
import { Roles } from '@common/auth/auth.decorators';
import { LedgerChainService } from '@modules/ledger/ledger-chain.service';

@ApiTags('ledger')
@Controller('admin/ledger')
export class LedgerVerifyController {
  constructor(private readonly chain: LedgerChainService) {}

  @Get('verify')
  @Roles('admin')
  @ApiOperation({ summary: "Recompute the ledger's hash chains and name the first broken transaction (200 either way; see ok)" })
  @ApiOkResponse({
    schema: {
      example: {
        ok: false,
        transactions: 10412,
        chains: 64,
        headsDigest: '9f2c…',
        firstBroken: { transactionId: '1842', chain: 17, seq: '163', reason: 'content_changed' },
        brokenChains: 1,
        checkedAt: '2026-12-02T09:00:00.000Z',
      },
    },
  })
  verify() {
    return this.chain.verify();
  }
}
