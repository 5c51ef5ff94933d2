import { type Browser, chromium } from 'playwright-core';

/**
 * Debian's Chromium, headless, for the explorer's browser tests and bench. Without these flags it
 * stalls on network calls this machine cannot make (updates, sync, background fetches).
 */
export function launchChromium(): Promise<Browser> {
  return chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}
