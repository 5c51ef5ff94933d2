import { BadGatewayException, Body, Controller, Post } from '@nestjs/common';
import { ResponseHeader } from '../common/response-header.decorator';
import { TRANSACTION_HEADER } from '../common/transaction-header';
import type { Order } from '../orders/order.entity';
import type { CheckoutRequest } from './checkout-request';
import { CheckoutRequestPipe } from './checkout-request.pipe';
import { CheckoutFailedError, CheckoutService } from './checkout.service';

export interface CheckoutResponse {
  /** The ID to quote to support; the same as the response's X-Transaction-Id header. */
  transactionId: string | undefined;
  order: Order;
}

@Controller('checkout')
export class CheckoutController {
  constructor(private readonly checkoutService: CheckoutService) {}

  /** 201 with the shipped order; 400 for a bad body; 502 when the payment or the shipping gateway failed. */
  @Post()
  async checkout(
    @Body(CheckoutRequestPipe) request: CheckoutRequest,
    @ResponseHeader(TRANSACTION_HEADER) transactionId: string | undefined,
  ): Promise<CheckoutResponse> {
    try {
      return { transactionId, order: await this.checkoutService.checkout(request) };
    } catch (error) {
      if (!(error instanceof CheckoutFailedError)) throw error;
      throw new BadGatewayException({
        statusCode: 502,
        error: 'Bad Gateway',
        message: error.message,
        transactionId,
        order: error.order,
      });
    }
  }
}
