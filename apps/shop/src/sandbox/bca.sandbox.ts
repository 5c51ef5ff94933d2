import { randomInt } from 'node:crypto';
import type { Latency, SandboxReply, SandboxRequest, SandboxServerOptions } from './sandbox-server';

export const BCA_LATENCY: Latency = { min: 300, max: 900 };

/** BCA's error body: a code, and the message in English and Indonesian. */
function bcaError(code: string, english: string, indonesian = english): unknown {
  return { error_code: code, error_message: { english, indonesian } };
}

const ERROR_CODES: Record<number, string> = { 400: 'ESB-14-001', 401: 'ESB-14-009', 404: 'ESB-14-021' };

/**
 * `POST /v1/transfer`. Declines, as 422 "Insufficient balance", a transfer whose amount ends in
 * `.13` or whose body sets `force_failure: true`; answers 400 for a body without a reference, an
 * amount or a beneficiary account.
 */
export function bcaTransfer({ body }: SandboxRequest): SandboxReply {
  const amount = body?.amount;
  if (
    typeof body?.reference_id !== 'string' ||
    typeof amount !== 'string' ||
    !/^\d+\.\d{2}$/.test(amount) ||
    typeof body?.beneficiary?.account_number !== 'string'
  ) {
    return { status: 400, body: bcaError('ESB-14-001', 'Invalid field format', 'Format field tidak valid') };
  }
  if (amount.endsWith('.13') || body.force_failure === true) {
    return { status: 422, body: bcaError('ESB-82-005', 'Insufficient balance', 'Saldo tidak cukup') };
  }
  const now = new Date();
  return {
    status: 200,
    body: {
      transaction_id: `${now.toISOString().slice(2, 10).replace(/-/g, '')}${randomInt(1e9, 1e10)}`,
      reference_id: body.reference_id,
      status: 'SUCCESS',
      amount,
      currency: body.currency ?? 'IDR',
      transaction_date: now.toISOString(),
      beneficiary: { account_number: body.beneficiary.account_number, name: body.beneficiary.name ?? null },
    },
  };
}

export function bcaSandbox(latency: Latency): SandboxServerOptions {
  return {
    routes: { 'POST /v1/transfer': bcaTransfer },
    latency,
    authScheme: 'Bearer',
    errorBody: (status, message) => bcaError(ERROR_CODES[status] ?? 'ESB-99-999', message),
  };
}
