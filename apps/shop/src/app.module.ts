import { type DynamicModule, Module } from '@nestjs/common';
import { ScheduleModule } from '@nestjs/schedule';
import { TypeOrmModule } from '@nestjs/typeorm';
import { AuditExplorerModule, AuditModule } from 'nestjs-audit-trail';
import { AuditTrailController } from './audit/audit-trail.controller';
import { CheckoutModule } from './checkout/checkout.module';
import { TRANSACTION_HEADER } from './common/transaction-header';
import type { ShopConfig } from './config/shop-config';
import { ShopConfigModule } from './config/shop-config.module';
import { DemoBasicAuthGuard } from './explorer/demo-basic-auth.guard';
import { OrdersModule } from './orders/orders.module';

@Module({})
export class AppModule {
  static forRoot(config: ShopConfig): DynamicModule {
    return {
      module: AppModule,
      imports: [
        ShopConfigModule.forRoot(config),
        // An example app creates its one table itself; a real shop runs migrations instead.
        TypeOrmModule.forRoot({
          ...config.database,
          autoLoadEntities: true,
          synchronize: true,
          retryAttempts: config.databaseRetries ?? 9,
        }),
        // Runs the audit retention job below.
        ScheduleModule.forRoot(),
        // The whole of the shop's audit wiring. Every order change and every call to BCA and JNE
        // ends up in the trail, under the transaction ID of the request that caused it.
        AuditModule.forRoot({
          dataAudit: { enabled: true },
          apiAudit: {
            enabled: true,
            redactHeaders: ['authorization'],
            redactBodyFields: ['account_number', 'card_number'],
            services: { [config.bca.url]: 'bca', [config.jne.url]: 'jne' },
          },
          transaction: { header: TRANSACTION_HEADER },
          retention: { enabled: true, maxAge: '90d' },
        }),
        // The trail explorer at /audit, behind the demo's HTTP Basic login.
        AuditExplorerModule.forRoot({ path: '/audit', guard: DemoBasicAuthGuard }),
        OrdersModule,
        CheckoutModule,
      ],
      controllers: [AuditTrailController],
    };
  }
}
