import { BadRequestException, Injectable, type PipeTransform } from '@nestjs/common';
import { type CheckoutRequest, parseCheckoutRequest } from './checkout-request';

/** Turns the raw body into a CheckoutRequest, or answers 400 listing what is wrong with it. */
@Injectable()
export class CheckoutRequestPipe implements PipeTransform<unknown, CheckoutRequest> {
  transform(body: unknown): CheckoutRequest {
    const result = parseCheckoutRequest(body);
    if (!result.ok) throw new BadRequestException(result.errors);
    return result.request;
  }
}
