import { type DynamicModule, Global, Module } from '@nestjs/common';
import type { ShopConfig } from './shop-config';

export const SHOP_CONFIG = 'shop:config';

/** Makes the shop's configuration injectable everywhere as `@Inject(SHOP_CONFIG)`. */
@Global()
@Module({})
export class ShopConfigModule {
  static forRoot(config: ShopConfig): DynamicModule {
    return {
      module: ShopConfigModule,
      providers: [{ provide: SHOP_CONFIG, useValue: config }],
      exports: [SHOP_CONFIG],
    };
  }
}
