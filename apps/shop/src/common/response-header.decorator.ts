import { type ExecutionContext, createParamDecorator } from '@nestjs/common';

/**
 * The value of a header already set on the response (by a middleware), or undefined. Works on
 * Express and Fastify: a Fastify reply keeps the Node response in `raw`.
 */
export const ResponseHeader = createParamDecorator((name: string, context: ExecutionContext): string | undefined => {
  const response = context.switchToHttp().getResponse();
  const value = (response?.raw ?? response)?.getHeader?.(name);
  return typeof value === 'string' ? value : undefined;
});
