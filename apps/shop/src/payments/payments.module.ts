import { HttpModule } from '@nestjs/axios';
import { Module } from '@nestjs/common';
import { BcaClient } from './bca.client';

@Module({
  imports: [HttpModule],
  providers: [BcaClient],
  exports: [BcaClient],
})
export class PaymentsModule {}
