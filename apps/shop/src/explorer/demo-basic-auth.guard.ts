import { type CanActivate, type ExecutionContext, Injectable, UnauthorizedException } from '@nestjs/common';
import { createHash, timingSafeEqual } from 'node:crypto';

/** The demo's explorer login (README "Trail explorer"). A real shop uses its back-office authentication. */
export const DEMO_EXPLORER_USER = 'auditor';
export const DEMO_EXPLORER_PASSWORD = 'shop-demo';

const digest = (text: string) => createHash('sha256').update(text).digest();
const EXPECTED = digest(`${DEMO_EXPLORER_USER}:${DEMO_EXPLORER_PASSWORD}`);

/** HTTP Basic with the demo credentials; the browser asks for them once and sends them on every request. */
@Injectable()
export class DemoBasicAuthGuard implements CanActivate {
  canActivate(context: ExecutionContext): boolean {
    const http = context.switchToHttp();
    const header = http.getRequest<{ headers: Record<string, string | undefined> }>().headers.authorization ?? '';
    const [scheme, encoded = ''] = header.split(' ');
    const given = scheme?.toLowerCase() === 'basic' ? Buffer.from(encoded, 'base64').toString('utf8') : '';
    // Compared as digests so the comparison takes the same time whatever was typed.
    if (given && timingSafeEqual(digest(given), EXPECTED)) return true;
    const response = http.getResponse<{ setHeader?: Function; header?: Function }>();
    const challenge = 'Basic realm="audit trail explorer", charset="UTF-8"';
    if (typeof response.setHeader === 'function') response.setHeader('WWW-Authenticate', challenge);
    else response.header?.('WWW-Authenticate', challenge);
    throw new UnauthorizedException('the audit trail explorer needs the demo login (see README)');
  }
}
