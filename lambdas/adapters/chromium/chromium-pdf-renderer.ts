import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import chromium from '@sparticuz/chromium';
import { ParseSpeeds, PDFDocument } from 'pdf-lib';
import puppeteer, { type Browser, type HTTPRequest, type Page } from 'puppeteer-core';
import type { PdfMetadata, PdfRenderer, RenderedPdf } from '../../core/ports';

export interface RendererLogger {
  info(message: string, details?: Record<string, unknown>): void;
  warn(message: string, details?: Record<string, unknown>): void;
}

export interface ChromiumPdfRendererOptions {
  /** Upper bound for one render, from taking the page to the finished PDF. */
  timeoutMs?: number;
  logger?: RendererLogger;
  /** Path of the Chromium binary; by default @sparticuz/chromium unpacks its own. */
  executablePath?: string;
  /**
   * Runs the renderer inside the browser process. Off by default (a crashed renderer then cannot
   * take the browser with it); some sandboxes that forbid process creation need it on.
   */
  singleProcess?: boolean;
  /** Written to the PDF's Producer and Creator. */
  producer?: string;
  /** Fixes CreationDate and ModDate, so the same HTML gives the same bytes. */
  documentDate?: Date;
}

/** Metadata plus, optionally, the date the PDF should say it was made. */
export type ChromiumPdfMetadata = PdfMetadata & { creationDate?: Date };

const DEFAULT_TIMEOUT_MS = 20_000;
const PROTOCOL_TIMEOUT_MS = 60_000;

// A port nothing listens on: any request that escapes interception fails at once, locally.
const DEAD_PROXY = 'http://127.0.0.1:9';

/**
 * Chromium's flags, chosen one by one. @sparticuz/chromium's own list is not used as it is:
 * it turns off web security, site isolation and mixed-content blocking, which a renderer of
 * untrusted text must keep.
 */
export function chromiumArgs(options: { singleProcess?: boolean } = {}): string[] {
  return [
    '--no-sandbox', // Lambda and this container run as root, where Chromium's sandbox cannot start.
    '--no-zygote',
    '--disable-gpu',
    '--disable-webgl',
    '--font-render-hinting=none', // Same glyph metrics on every machine.
    '--disable-background-networking',
    '--disable-component-update',
    '--disable-domain-reliability',
    '--disable-sync',
    '--disable-default-apps',
    '--disable-extensions',
    '--no-first-run',
    '--no-default-browser-check',
    '--no-pings',
    '--disable-print-preview',
    '--disable-dev-shm-usage', // Lambda's /dev/shm is tiny.
    '--disk-cache-size=0',
    `--proxy-server=${DEAD_PROXY}`,
    // Chromium bypasses the proxy for loopback unless told not to; this keeps loopback behind it too.
    '--proxy-bypass-list=<-loopback>',
    '--disable-features=AudioServiceOutOfProcess,Translate,MediaRouter,OptimizationHints',
    ...(options.singleProcess ? ['--single-process'] : []),
  ];
}

/** A render that ran out of time; the browser is replaced, so a retry can succeed. */
export class RenderTimeoutError extends Error {
  constructor(ms: number) {
    super(`rendering took longer than ${ms} ms`);
    this.name = 'RenderTimeoutError';
  }
}

const noopLogger: RendererLogger = { info() {}, warn() {} };

/**
 * Letters printed on one page before it is replaced. Each setContent on a page that is never
 * navigated costs a little more than the last (about 0.1 ms a letter, without bound: 20 ms grows
 * to over 100 ms after 1,000 letters); a fresh page starts from the bottom again. Opening one
 * costs about 60 ms, so every 50 letters keeps both costs to a few ms a letter.
 */
const RENDERS_PER_PAGE = 50;

/**
 * Prints HTML to PDF with headless Chromium. One browser per process, started on first use and
 * restarted if it dies; one page, reused, because a page per letter leaks memory, and replaced
 * every RENDERS_PER_PAGE letters (see there). Renders take turns on that page. The page runs no
 * script and loads nothing but data: URLs.
 */
export class ChromiumPdfRenderer implements PdfRenderer {
  private readonly timeoutMs: number;
  private readonly logger: RendererLogger;
  private readonly options: ChromiumPdfRendererOptions;
  private browser: Promise<Browser> | undefined;
  private page: Promise<Page> | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private readonly brokenPages = new WeakSet<Page>();
  private readonly pageUses = new WeakMap<Page, number>();
  private closed = false;

  constructor(options: ChromiumPdfRendererOptions = {}) {
    this.options = options;
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.logger = options.logger ?? noopLogger;
  }

  async fingerprint(): Promise<string> {
    const browser = await this.getBrowser();
    return `${await browser.version()}; ${fontPackageVersion()}`;
  }

  render(html: string, metadata: ChromiumPdfMetadata): Promise<RenderedPdf> {
    const turn = this.queue.then(() => this.renderNow(html, metadata));
    // The next render waits for this one whatever its outcome.
    this.queue = turn.catch(() => undefined);
    return turn;
  }

  async close(): Promise<void> {
    this.closed = true;
    const pending = this.browser;
    this.browser = undefined;
    this.page = undefined;
    if (!pending) return;
    let browser: Browser;
    try {
      browser = await pending;
    } catch {
      return; // Never started: nothing to close.
    }
    // A wedged browser may never answer a polite close; it must not outlive the process either way.
    const closedInTime = await Promise.race([
      browser.close().then(
        () => true,
        () => false,
      ),
      new Promise<boolean>((resolve) => setTimeout(() => resolve(false), 5_000).unref()),
    ]);
    if (!closedInTime) browser.process()?.kill('SIGKILL');
  }

  /** The browser's process id, if one is running: for health checks and crash tests. */
  async browserPid(): Promise<number | undefined> {
    if (!this.browser) return undefined;
    try {
      return (await this.browser).process()?.pid;
    } catch {
      return undefined;
    }
  }

  private async renderNow(html: string, metadata: ChromiumPdfMetadata): Promise<RenderedPdf> {
    if (this.closed) throw new Error('renderer is closed');
    const started = Date.now();
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new RenderTimeoutError(this.timeoutMs)), this.timeoutMs);
    });
    const abandoned = new AbortController();
    const work = this.printWithRelaunch(html, abandoned.signal);
    try {
      const printed = await Promise.race([work, deadline]);
      const result = await withMetadata(Buffer.from(printed), metadata, this.options);
      this.logger.info('rendered PDF', { pages: result.pages, bytes: result.pdf.length, ms: Date.now() - started });
      return result;
    } catch (error) {
      this.logger.warn('render failed; discarding the page', { error: String(error), ms: Date.now() - started });
      await this.discardPage();
      if (error instanceof RenderTimeoutError) {
        // A browser that let a render run out of time may be wedged: start afresh next time, and
        // let the abandoned work wind down before the next render takes its turn.
        abandoned.abort();
        await this.discardBrowser();
        await Promise.race([work.catch(() => undefined), new Promise((resolve) => setTimeout(resolve, 5_000).unref())]);
      }
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  private async printWithRelaunch(html: string, abandoned: AbortSignal): Promise<Uint8Array> {
    let page: Page | undefined;
    try {
      page = await this.acquirePage();
      abandoned.throwIfAborted();
      return await this.print(page, html);
    } catch (error) {
      // A browser that died since the last render is only noticed when it is next used.
      if (abandoned.aborted || !page || page.browser().connected) throw error;
      this.logger.warn('browser lost during render; relaunching and trying again', { error: String(error) });
      await this.discardBrowser();
      page = await this.acquirePage();
      abandoned.throwIfAborted();
      return this.print(page, html);
    }
  }

  private async print(page: Page, html: string): Promise<Uint8Array> {
    await page.setContent(html, { waitUntil: 'load', timeout: this.timeoutMs });
    return page.pdf({
      format: 'A4',
      printBackground: true,
      preferCSSPageSize: true,
      tagged: true,
      outline: false,
      displayHeaderFooter: false,
      waitForFonts: true,
      timeout: this.timeoutMs,
    });
  }

  /** The reused page, or a fresh one if there is none or the last one cannot be trusted. */
  private async acquirePage(): Promise<Page> {
    if (this.page) {
      const page = await this.page.catch(() => undefined);
      const uses = page ? (this.pageUses.get(page) ?? 0) : 0;
      if (page && !page.isClosed() && !this.brokenPages.has(page) && page.browser().connected && uses < RENDERS_PER_PAGE) {
        this.pageUses.set(page, uses + 1);
        return page;
      }
      await this.discardPage();
    }
    const page = this.newPage();
    this.page = page;
    try {
      const opened = await page;
      this.pageUses.set(opened, 1);
      return opened;
    } catch (error) {
      if (this.page === page) this.page = undefined;
      throw error;
    }
  }

  private async newPage(): Promise<Page> {
    const browser = await this.getBrowser();
    const page = await browser.newPage();
    page.on('error', (error) => {
      this.logger.warn('page crashed', { error: String(error) });
      this.brokenPages.add(page);
    });
    // Scripts never run, but the browser reports what it refused here (CSP, blocked loads).
    page.on('console', (message) => this.logger.warn('page console', { type: message.type(), text: message.text().slice(0, 500) }));
    await page.setJavaScriptEnabled(false);
    await page.setRequestInterception(true);
    page.on('request', (request: HTTPRequest) => {
      const url = request.url();
      if (url.startsWith('data:')) {
        void request.continue().catch(() => undefined);
        return;
      }
      this.logger.warn('blocked a request from a letter', { url: url.slice(0, 200), type: request.resourceType() });
      // A blocked navigation would replace the letter with an error page; an aborted one leaves it be.
      const reason = request.isNavigationRequest() ? 'aborted' : 'blockedbyclient';
      void request.abort(reason).catch(() => undefined);
    });
    await page.setViewport({ width: 794, height: 1123 });
    return page;
  }

  private async discardPage(): Promise<void> {
    const pending = this.page;
    this.page = undefined;
    if (!pending) return;
    try {
      const page = await pending;
      this.brokenPages.add(page);
      await Promise.race([page.close(), new Promise((resolve) => setTimeout(resolve, 5_000).unref())]);
    } catch {
      // A page that cannot even be closed goes with its browser.
    }
  }

  private async discardBrowser(): Promise<void> {
    const pending = this.browser;
    this.browser = undefined;
    this.page = undefined;
    if (!pending) return;
    try {
      const browser = await pending;
      browser.process()?.kill('SIGKILL');
      await browser.close().catch(() => undefined);
    } catch {
      // Never started: nothing to stop.
    }
  }

  private getBrowser(): Promise<Browser> {
    if (this.closed) return Promise.reject(new Error('renderer is closed'));
    if (!this.browser) {
      const browser = this.launchWithRetry();
      this.browser = browser;
      browser.then(
        (b) =>
          b.once('disconnected', () => {
            // The next render starts a new browser and a new page.
            if (this.browser === browser) {
              if (!this.closed) this.logger.warn('browser disconnected; it will be relaunched on the next render');
              this.browser = undefined;
              this.page = undefined;
            }
          }),
        () => {
          if (this.browser === browser) this.browser = undefined;
        },
      );
    }
    return this.browser;
  }

  private async launchWithRetry(): Promise<Browser> {
    try {
      return await this.launch();
    } catch (error) {
      this.logger.warn('browser launch failed; retrying once', { error: String(error) });
      return this.launch();
    }
  }

  private async launch(): Promise<Browser> {
    const started = Date.now();
    const executablePath = this.options.executablePath ?? (await chromium.executablePath());
    const browser = await puppeteer.launch({
      executablePath,
      headless: 'shell',
      args: chromiumArgs({ singleProcess: this.options.singleProcess }),
      pipe: true,
      protocolTimeout: PROTOCOL_TIMEOUT_MS,
      handleSIGINT: false,
      handleSIGTERM: false,
      handleSIGHUP: false,
      defaultViewport: null,
      timeout: 30_000,
    });
    this.logger.info('browser launched', { version: await browser.version(), ms: Date.now() - started });
    return browser;
  }
}

/**
 * Writes the document properties with pdf-lib, leaving Chromium's structure tree in place so
 * the PDF stays tagged for screen readers.
 */
async function withMetadata(pdf: Buffer, metadata: ChromiumPdfMetadata, options: ChromiumPdfRendererOptions): Promise<RenderedPdf> {
  // pdf-lib by default yields to the event loop every 100 objects parsed and every 50 written, a
  // timer wait each time: over 10 ms a letter doing nothing. A letter's few hundred objects take
  // a few ms of CPU in one go.
  const doc = await PDFDocument.load(pdf, { updateMetadata: false, parseSpeed: ParseSpeeds.Fastest });
  const producer = options.producer ?? 'Inspection letters (Chromium, pdf-lib)';
  const date = metadata.creationDate ?? options.documentDate ?? new Date();
  doc.setTitle(metadata.title, { showInWindowTitleBar: true });
  doc.setAuthor(metadata.author);
  doc.setSubject(metadata.subject);
  // pdf-lib joins keywords with spaces, which would run multi-word keywords together.
  doc.setKeywords([metadata.keywords.join('; ')]);
  doc.setLanguage(metadata.lang);
  doc.setProducer(producer);
  doc.setCreator(producer);
  doc.setCreationDate(date);
  doc.setModificationDate(date);
  const bytes = await doc.save({ useObjectStreams: false, addDefaultPage: false, updateFieldAppearances: false, objectsPerTick: Infinity });
  return { pdf: Buffer.from(bytes), pages: doc.getPageCount() };
}

let fontVersion: string | undefined;

function fontPackageVersion(): string {
  if (!fontVersion) {
    const require = createRequire(import.meta.url);
    const pkg = JSON.parse(readFileSync(require.resolve('@fontsource/arimo/package.json'), 'utf8')) as { version: string };
    fontVersion = `@fontsource/arimo@${pkg.version}`;
  }
  return fontVersion;
}
