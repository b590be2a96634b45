import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { chromium, type BrowserContext, type Page } from 'playwright-core';
import { ROOT, tempDir } from './harness.js';

/** Debian's Chromium, installed by scripts/system-deps.sh (SLUICE_CHROMIUM points elsewhere). */
export const CHROMIUM = process.env.SLUICE_CHROMIUM ?? '/usr/bin/chromium';
export const SCREENSHOTS = join(ROOT, 'test-output/screenshots');

/**
 * Launches Debian's Chromium headless with a fresh profile. A missing browser
 * fails the test with what to do: the dashboard is never silently untested.
 */
export async function launchChromium(): Promise<BrowserContext> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: the dashboard tests drive Debian's Chromium. Run \`sudo bash scripts/system-deps.sh\` (or \`apt-get install -y chromium\`) and run the tests again`);
  }
  mkdirSync(SCREENSHOTS, { recursive: true });
  return chromium.launchPersistentContext(tempDir('sluice-chromium-'), {
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
    viewport: { width: 1280, height: 800 },
    timeout: 60_000,
  });
}

export interface WatchedPage {
  page: Page;
  /** Uncaught exceptions, console errors and CSP violations on the page. */
  problems: string[];
  /** Every URL the page requested. */
  requests: string[];
}

/** A new tab (fresh sessionStorage) that records what goes wrong on it and where it connects. */
export async function openPage(context: BrowserContext, url: string): Promise<WatchedPage> {
  const page = await context.newPage();
  const problems: string[] = [];
  const requests: string[] = [];
  page.on('pageerror', (err) => problems.push(`uncaught: ${err.message}`));
  page.on('console', (msg) => {
    // A refused token is an expected 401 that Chromium logs as a failed resource.
    if (msg.type() === 'error' && !/status of 401/.test(msg.text())) problems.push(`console: ${msg.text()}`);
  });
  page.on('request', (req) => requests.push(req.url()));
  page.on('response', (res) => {
    if (res.status() >= 400 && !res.url().includes('/api/')) problems.push(`${res.status()} for ${res.url()}`);
  });
  await page.goto(url);
  return { page, problems, requests };
}

export async function signIn(watched: WatchedPage, token: string): Promise<void> {
  const { page, problems } = watched;
  await page
    .getByLabel('API token')
    .waitFor({ timeout: 15_000 })
    .catch(async (err: Error) => {
      throw new Error(`no sign-in form: ${err.message}\npage: ${await page.locator('body').innerText()}\nproblems: ${problems.join('\n')}`);
    });
  await page.getByLabel('API token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
}

export async function screenshot(page: Page, name: string): Promise<string> {
  const file = join(SCREENSHOTS, `${name}.png`);
  await page.screenshot({ path: file, fullPage: true });
  return file;
}
