import { isAxiosError } from 'axios';

/** A gateway call that did not give the shop what it needed: an error status, no answer, or a bad answer. */
export class GatewayError extends Error {
  constructor(
    readonly gateway: string,
    /** The gateway's HTTP status, 0 when it did not answer. */
    readonly status: number,
    readonly reason: string,
  ) {
    super(`${gateway} ${status ? `answered ${status}` : 'did not answer'}: ${reason}`);
    this.name = 'GatewayError';
  }

  /**
   * Wraps what HttpService threw; `reasonOf` picks the gateway's own explanation out of its error body.
   * Anything that is not an HTTP error (a bug of ours) is rethrown as it is.
   */
  static from(gateway: string, error: unknown, reasonOf: (body: any) => unknown): GatewayError {
    if (error instanceof GatewayError) return error;
    if (!isAxiosError(error)) throw error;
    const status = error.response?.status ?? 0;
    const reason = error.response ? reasonOf(error.response.data) : undefined;
    return new GatewayError(gateway, status, typeof reason === 'string' && reason ? reason : error.message);
  }
}
