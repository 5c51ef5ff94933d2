import { HttpModule } from '@nestjs/axios';
import { Module } from '@nestjs/common';
import { JneClient } from './jne.client';

@Module({
  imports: [HttpModule],
  providers: [JneClient],
  exports: [JneClient],
})
export class ShippingModule {}
