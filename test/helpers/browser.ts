import { chromium, type Browser } from 'playwright-core';

/** Debian's Chromium; the test tools' own browser downloads cannot work offline. */
export const CHROMIUM = process.env.SPC_CHROMIUM ?? '/usr/bin/chromium';

/** Launches headless Chromium with the flags this offline machine needs (no background network, no sandbox as root);
 * playwright gives each launch a fresh, empty profile. */
export function launchBrowser(): Promise<Browser> {
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}
