import { HttpService } from '@nestjs/axios';
import { Inject, Injectable } from '@nestjs/common';
import { firstValueFrom } from 'rxjs';
import { SHOP_CONFIG } from '../config/shop-config.module';
import type { ShopConfig } from '../config/shop-config';
import { GatewayError } from '../gateways/gateway-error';

export interface ShipmentRequest {
  reference: string;
  customerId: string;
  /** Declared value of the goods, for insurance. */
  goodsValue: string;
}

/** The part of JNE's answer the shop keeps. */
export interface Shipment {
  /** The waybill number the customer tracks the parcel with. */
  awb: string;
}

interface ShipmentResponse {
  awb?: unknown;
}

/** JNE's shipping API: books the pickup of a parcel. */
@Injectable()
export class JneClient {
  constructor(
    private readonly http: HttpService,
    @Inject(SHOP_CONFIG) private readonly config: ShopConfig,
  ) {}

  /** @throws GatewayError when JNE refuses the booking, fails or does not answer. */
  async createShipment(request: ShipmentRequest): Promise<Shipment> {
    const { url, authorization } = this.config.jne;
    let answer: { status: number; data: ShipmentResponse };
    try {
      const response = await firstValueFrom(
        this.http.post<ShipmentResponse>(
          `${url}/v2/shipments`,
          {
            reference: request.reference,
            service: 'REG',
            origin: 'CGK10000',
            receiver: { customer_id: request.customerId },
            goods: { description: 'Online order', value: request.goodsValue, weight_kg: 1 },
          },
          { headers: { Authorization: authorization }, timeout: this.config.gatewayTimeoutMs },
        ),
      );
      answer = { status: response.status, data: response.data };
    } catch (error) {
      // JNE explains a refusal as { error: { code, message } }.
      throw GatewayError.from('jne', error, (body) => body?.error?.message);
    }
    const awb = answer.data?.awb;
    if (typeof awb !== 'string' || awb === '') {
      throw new GatewayError('jne', answer.status, `unexpected answer ${JSON.stringify(answer.data)}`);
    }
    return { awb };
  }
}
