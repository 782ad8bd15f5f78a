// What every console script shares: its settings from the environment, a fresh headless Chromium, steps that stop the
// run with a screenshot when they fail, and the console's login.
import fs from 'node:fs';
import { chromium } from 'playwright-core';

const TIMEOUT = 30_000;

export function env(name) {
  const value = process.env[name];
  if (value === undefined) {
    throw new Error(`${name} is not set`);
  }
  return value;
}

/**
 * Debian's Chromium (CHROMIUM, default /usr/bin/chromium) on a fresh profile; each step is named in the output, and
 * the first that fails leaves `<screenshot>-failed.png` and ends the run with exit code 1.
 */
export async function session(profile, screenshot, viewport) {
  fs.rmSync(profile, { recursive: true, force: true });
  const browser = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.CHROMIUM || '/usr/bin/chromium',
    headless: true,
    viewport,
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
  const page = browser.pages()[0] ?? await browser.newPage();
  page.setDefaultTimeout(TIMEOUT);
  async function step(name, action) {
    try {
      await action();
      console.log(`ok: ${name}`);
    } catch (e) {
      const failure = screenshot.replace(/\.png$/, '-failed.png');
      await page.screenshot({ path: failure, fullPage: true }).catch(() => {});
      console.log(`FAILED: ${name}: ${e.message} (screenshot: ${failure})`);
      await browser.close();
      process.exit(1);
    }
  }
  return { browser, page, step };
}

/** Logs in on the console's login page and waits for the user's name in its header. */
export async function logIn(page, consoleUrl, user, password) {
  await page.goto(consoleUrl);
  await page.getByRole('textbox', { name: 'Username' }).fill(user);
  await page.locator('#pf-login-password-id').fill(password);
  await page.getByRole('button', { name: 'Log in' }).click();
  await page.locator('#hawtio-header-user-dropdown-toggle').getByText(user).waitFor();
}
