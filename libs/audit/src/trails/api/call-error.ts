const MAX_MESSAGE_LENGTH = 2000;

interface ErrorLike {
  message?: unknown;
  code?: unknown;
  name?: unknown;
  cause?: unknown;
  errors?: unknown;
}

/**
 * The `error_message` of a failed call: the error's message, followed by its cause when the message
 * alone says nothing useful (undici's fetch throws `TypeError: fetch failed` with the socket error,
 * e.g. `connect ECONNREFUSED 127.0.0.1:4010`, only in `cause`), or the messages of an
 * AggregateError (Node's dual-stack connect reports one error per address tried). Never throws.
 */
export function callErrorMessage(error: unknown): string {
  try {
    const message = ownText(error) ?? String(error);
    const cause = ownText((error as ErrorLike | null)?.cause);
    const text = withoutCredentials(cause && !message.includes(cause) ? `${message}: ${cause}` : message);
    return text.length > MAX_MESSAGE_LENGTH ? `${text.slice(0, MAX_MESSAGE_LENGTH)}...` : text;
  } catch {
    return 'unknown error';
  }
}

function ownText(error: unknown): string | undefined {
  if (error === null || error === undefined) return undefined;
  if (typeof error !== 'object') return String(error);
  const { message, code, name, errors } = error as ErrorLike;
  if (typeof message === 'string' && message !== '') return message;
  if (Array.isArray(errors) && errors.length > 0) {
    const parts = errors.map(ownText).filter((part): part is string => !!part);
    if (parts.length > 0) return [...new Set(parts)].join('; ');
  }
  if (typeof code === 'string' && code !== '') return code;
  if (typeof name === 'string' && name !== '') return name;
  return undefined;
}

/**
 * `http://user:pass@host/` -> `http://***@host/`: undici names the whole URL, credentials
 * included, when it refuses one, and the message is stored.
 */
export function withoutCredentials(text: string): string {
  return text.replace(/\b([a-z][a-z\d+\-.]*:\/\/)[^\s/?#]*@/gi, '$1***@');
}
