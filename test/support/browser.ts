import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import chromium from '@sparticuz/chromium';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';

const require = createRequire(import.meta.url);
const AXE_SOURCE = readFileSync(require.resolve('axe-core/axe.min.js'), 'utf8');

/** Headless Chromium from @sparticuz/chromium, with its own flags rather than the package's. */
export async function launchBrowser(): Promise<Browser> {
  return puppeteer.launch({
    executablePath: await chromium.executablePath(),
    headless: 'shell',
    // This container runs as root, where Chromium's sandbox cannot start.
    args: ['--no-sandbox', '--no-zygote', '--disable-gpu', '--disable-dev-shm-usage', '--font-render-hinting=none'],
    defaultViewport: { width: 1000, height: 800 },
  });
}

export interface TestPage {
  page: Page;
  /** Content Security Policy violations the browser reported, which should stay empty. */
  cspViolations: string[];
  close(): Promise<void>;
}

/** A page in its own browser context: its own cookies, so one person per page. */
export async function openPage(browser: Browser): Promise<TestPage> {
  const context = await browser.createBrowserContext();
  const page = await context.newPage();
  await page.setViewport({ width: 1000, height: 800 });
  const cspViolations: string[] = [];
  page.on('console', (message) => {
    if (/Content Security Policy/i.test(message.text())) cspViolations.push(message.text());
  });
  return { page, cspViolations, close: () => context.close() };
}

/** Follows a link or submits a form and waits for the page it leads to. */
export async function clickAndWait(page: Page, selector: string): Promise<void> {
  await Promise.all([page.waitForNavigation({ waitUntil: 'load' }), page.click(selector)]);
}

/**
 * Sets a field's value the way typing would leave it (with the events govuk-frontend listens
 * for), without typing thousands of characters one key at a time.
 */
export async function fill(page: Page, id: string, value: string): Promise<void> {
  await page.$eval(
    `[id="${id}"]`,
    (el, v) => {
      const field = el as HTMLInputElement | HTMLTextAreaElement;
      field.focus();
      field.value = v;
      field.dispatchEvent(new Event('input', { bubbles: true }));
      field.dispatchEvent(new Event('change', { bubbles: true }));
    },
    value,
  );
}

export async function fillAll(page: Page, values: Record<string, string>): Promise<void> {
  for (const [id, value] of Object.entries(values)) await fill(page, id, value);
}

/** Checks a radio by its value in a group. */
export async function choose(page: Page, name: string, value: string): Promise<void> {
  await page.click(`input[type="radio"][name="${name}"][value="${value}"]`);
}

export const text = (page: Page, selector: string) => page.$eval(selector, (el) => (el as HTMLElement).innerText.trim());
export const texts = (page: Page, selector: string) => page.$$eval(selector, (els) => els.map((el) => (el as HTMLElement).innerText.trim()));
export const valueOf = (page: Page, id: string) => page.$eval(`[id="${id}"]`, (el) => (el as HTMLInputElement).value);

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: string[];
}

/**
 * Runs axe-core on the page and returns its violations. The script is evaluated through the
 * DevTools protocol: the pages' Content Security Policy rightly refuses an injected inline script.
 */
export async function axeViolations(page: Page): Promise<AxeViolation[]> {
  await page.evaluate(AXE_SOURCE);
  return page.evaluate(async () => {
    const result = await (window as unknown as { axe: { run(): Promise<{ violations: any[] }> } }).axe.run();
    return result.violations.map((v) => ({
      id: v.id,
      impact: v.impact,
      help: v.help,
      nodes: v.nodes.map((n: { target: string[] }) => n.target.join(' ')),
    }));
  });
}

/** Signs in through the local role picker. */
export async function signIn(page: Page, baseUrl: string, role: 'inspector' | 'manager' | 'reader', name: string): Promise<void> {
  await page.goto(`${baseUrl}/sign-in`);
  await choose(page, 'role', role);
  await fill(page, 'name', name);
  await clickAndWait(page, 'form[action="/sign-in"] button');
}

/**
 * The two ways the renderer runs Chromium: one process, as on Lambda (CHROMIUM_SINGLE_PROCESS),
 * and a browser with its renderer processes apart, as locally. Renderer tests run in both.
 */
export const RENDERER_MODES = [
  { mode: 'multi-process', singleProcess: false },
  { mode: 'single-process, as on Lambda', singleProcess: true },
] as const;

export interface Journey {
  /** Pages the browser loaded in its main frame: documents received, a redirect chain counting once. */
  loads: number;
  /** Forms the person sent: navigations by POST. */
  submissions: number;
  stop(): void;
}

/** Counts what a person waits for along a journey: page loads and form submissions. */
export function countJourney(page: Page): Journey {
  const journey = {
    loads: 0,
    submissions: 0,
    stop: () => {
      page.off('request', onRequest);
      page.off('response', onResponse);
    },
  };
  const onRequest = (request: import('puppeteer-core').HTTPRequest) => {
    const first = request.redirectChain().length === 0;
    if (request.isNavigationRequest() && request.frame() === page.mainFrame() && first && request.method() === 'POST') journey.submissions++;
  };
  const onResponse = (response: import('puppeteer-core').HTTPResponse) => {
    const request = response.request();
    const redirect = response.status() >= 300 && response.status() < 400;
    if (request.isNavigationRequest() && request.frame() === page.mainFrame() && !redirect) journey.loads++;
  };
  page.on('request', onRequest);
  page.on('response', onResponse);
  return journey;
}
