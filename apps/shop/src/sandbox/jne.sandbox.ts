import { randomInt } from 'node:crypto';
import type { Latency, SandboxReply, SandboxRequest, SandboxServerOptions } from './sandbox-server';

export const JNE_LATENCY: Latency = { min: 200, max: 500 };

function jneError(code: string, message: string): unknown {
  return { error: { code, message } };
}

/**
 * `POST /v2/shipments`. Refuses, as 422, a booking whose declared goods value ends in `.14` or whose
 * body sets `force_failure: true`; answers 400 for a body without a reference.
 */
export function jneShipment({ body }: SandboxRequest): SandboxReply {
  if (typeof body?.reference !== 'string' || body.reference === '') {
    return { status: 400, body: jneError('INVALID_REQUEST', 'reference is required') };
  }
  const value = String(body.goods?.value ?? '');
  if (value.endsWith('.14') || body.force_failure === true) {
    return { status: 422, body: jneError('AREA_NOT_SERVED', 'Destination is not served by this service') };
  }
  const origin = typeof body.origin === 'string' ? body.origin.slice(0, 3).toUpperCase() : 'CGK';
  const eta = new Date(Date.now() + 3 * 86_400_000).toISOString().slice(0, 10);
  return {
    status: 201,
    body: {
      awb: `${origin}${randomInt(1e12, 1e13)}`,
      reference: body.reference,
      service: body.service ?? 'REG',
      status: 'BOOKED',
      estimated_delivery: eta,
    },
  };
}

export function jneSandbox(latency: Latency): SandboxServerOptions {
  return {
    routes: { 'POST /v2/shipments': jneShipment },
    latency,
    authScheme: 'Basic',
    errorBody: (status, message) => jneError(status === 401 ? 'UNAUTHORIZED' : `HTTP_${status}`, message),
  };
}
