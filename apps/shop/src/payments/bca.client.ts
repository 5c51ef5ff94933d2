import { HttpService } from '@nestjs/axios';
import { Inject, Injectable } from '@nestjs/common';
import { firstValueFrom } from 'rxjs';
import { SHOP_CONFIG } from '../config/shop-config.module';
import type { ShopConfig } from '../config/shop-config';
import { GatewayError } from '../gateways/gateway-error';

export interface TransferRequest {
  /** Our reference, unique per order: the gateway refuses a second transfer with the same one. */
  reference: string;
  amount: string;
  customerId: string;
}

/** The part of BCA's answer the shop keeps. */
export interface Transfer {
  transactionId: string;
}

interface TransferResponse {
  transaction_id?: unknown;
  status?: unknown;
}

/** BCA's payment API: moves the customer's money into the merchant account. */
@Injectable()
export class BcaClient {
  constructor(
    private readonly http: HttpService,
    @Inject(SHOP_CONFIG) private readonly config: ShopConfig,
  ) {}

  /** @throws GatewayError when BCA declines, fails or does not answer. */
  async transfer(request: TransferRequest): Promise<Transfer> {
    const { url, authorization, accountNumber } = this.config.bca;
    let answer: { status: number; data: TransferResponse };
    try {
      const response = await firstValueFrom(
        this.http.post<TransferResponse>(
          `${url}/v1/transfer`,
          {
            reference_id: request.reference,
            amount: request.amount,
            currency: 'IDR',
            source: { customer_id: request.customerId },
            beneficiary: { account_number: accountNumber, name: 'PT Toko Contoh' },
            remark: request.reference,
          },
          { headers: { Authorization: authorization }, timeout: this.config.gatewayTimeoutMs },
        ),
      );
      answer = { status: response.status, data: response.data };
    } catch (error) {
      // BCA explains a refusal as { error_code, error_message: { english, indonesian } }.
      throw GatewayError.from('bca', error, (body) => body?.error_message?.english);
    }
    const { transaction_id: transactionId, status } = answer.data ?? {};
    if (typeof transactionId !== 'string' || transactionId === '' || status !== 'SUCCESS') {
      throw new GatewayError('bca', answer.status, `unexpected answer ${JSON.stringify(answer.data)}`);
    }
    return { transactionId };
  }
}
