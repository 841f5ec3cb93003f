import { Controller, Get, Headers } from '@nestjs/common';
import { ApiHeader, ApiOkResponse, ApiOperation, ApiProperty, ApiTags, ApiUnauthorizedResponse } from '@nestjs/swagger';
import { Public } from '@common/auth/auth.decorators';
import { ErrorBodyDto } from '@common/http/error-body.dto';
import { ContractDto } from '@modules/contracts/dto/contract.dto';
import { LessonDto } from './dto/lesson.dto';
import { PayerViewService } from './payer-view.service';

class PayerFundsDto {
  @ApiProperty({ example: '1000.00' }) paidIn: string;
  @ApiProperty({ example: '100.00', description: 'Released to the institution for lessons delivered' }) released: string;
  @ApiProperty({ example: '0.00' }) refunded: string;
  @ApiProperty({ example: '900.00', description: 'Still held in escrow for this contract' }) held: string;
}

class PayerContractDto {
  @ApiProperty({ type: ContractDto }) contract: ContractDto;
  @ApiProperty() institutionName: string;
  @ApiProperty() courseName: string;
  @ApiProperty({ type: [LessonDto], description: 'Every lesson recorded for the contract, oldest first' }) lessons: LessonDto[];
  @ApiProperty({ type: PayerFundsDto }) funds: PayerFundsDto;
}

/** The parent's page reads its contract here, with the contract's payer token (no API key). */
@ApiTags('lessons')
@Controller('payer')
export class PayerContractController {
  constructor(private readonly views: PayerViewService) {}

  @Get('contract')
  @Public()
  @ApiHeader({ name: 'payer-token', required: true, description: "The contract's payer access token" })
  @ApiOperation({ summary: 'The payer reads the contract, its lessons and what is still held in escrow for it' })
  @ApiOkResponse({ type: PayerContractDto })
  @ApiUnauthorizedResponse({ description: 'INVALID_PAYER_TOKEN (unknown or revoked)', type: ErrorBodyDto })
  async contract(@Headers('payer-token') token: string | undefined): Promise<PayerContractDto> {
    const v = await this.views.view(token);
    const f = v.funds;
    return {
      contract: ContractDto.from(v.contract),
      institutionName: v.institutionName,
      courseName: v.courseName,
      lessons: v.lessons.map(LessonDto.from),
      funds: { paidIn: f.paidIn.toString(), released: f.released.toString(), refunded: f.refunded.toString(), held: f.held.toString() },
    };
  }
}
