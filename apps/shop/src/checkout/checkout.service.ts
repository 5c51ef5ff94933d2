import { Injectable } from '@nestjs/common';
import { GatewayError } from '../gateways/gateway-error';
import type { Order } from '../orders/order.entity';
import { OrdersService } from '../orders/orders.service';
import { BcaClient } from '../payments/bca.client';
import { JneClient } from '../shipping/jne.client';
import type { CheckoutRequest } from './checkout-request';

/** A checkout that stopped at a gateway; `order` is the order as it was left. */
export class CheckoutFailedError extends Error {
  constructor(
    readonly step: 'payment' | 'shipping',
    readonly order: Order,
    readonly gatewayError: GatewayError,
  ) {
    super(
      step === 'payment'
        ? `payment for order ${order.id} failed: ${gatewayError.message}`
        : `order ${order.id} is paid but shipping could not be booked: ${gatewayError.message}`,
    );
    this.name = 'CheckoutFailedError';
  }
}

@Injectable()
export class CheckoutService {
  constructor(
    private readonly orders: OrdersService,
    private readonly bca: BcaClient,
    private readonly jne: JneClient,
  ) {}

  /**
   * Opens the order, takes the payment, books the shipment.
   * @throws CheckoutFailedError when a gateway refuses or fails: a failed payment marks the order
   * `failed`; a failed booking leaves it `paid`, for the warehouse to book by hand.
   */
  async checkout({ customerId, amount }: CheckoutRequest): Promise<Order> {
    let order = await this.orders.open(customerId, amount);
    const reference = `ORDER-${order.id}`;

    let paymentRef: string;
    try {
      ({ transactionId: paymentRef } = await this.bca.transfer({ reference, amount, customerId }));
    } catch (error) {
      if (!(error instanceof GatewayError)) throw error;
      order = await this.orders.markFailed(order);
      throw new CheckoutFailedError('payment', order, error);
    }
    order = await this.orders.markPaid(order, paymentRef);

    let trackingNumber: string;
    try {
      ({ awb: trackingNumber } = await this.jne.createShipment({ reference, customerId, goodsValue: amount }));
    } catch (error) {
      if (!(error instanceof GatewayError)) throw error;
      throw new CheckoutFailedError('shipping', order, error);
    }
    return this.orders.markShipped(order, trackingNumber);
  }
}
