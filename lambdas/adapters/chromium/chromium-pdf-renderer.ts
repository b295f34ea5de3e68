import chromium from '@sparticuz/chromium';
import puppeteer, { type Browser, type CDPSession, type HTTPRequest, type Page } from 'puppeteer-core';
import type { PdfMetadata, PdfRenderer, RenderedPdf, RenderLane, RenderOptions } from '../../core/ports';
import { letterFonts } from '../templates/letter-fonts';
import { fontconfigFile } from './fontconfig';
import { withDocumentProperties } from './pdf-properties';
import { unpackedChromium } from './unpacked-chromium';

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
   * Where Chromium is when @sparticuz/chromium's JavaScript is bundled away from its `bin` folder:
   * a folder holding Chromium already unpacked (the Lambda layer, see unpacked-chromium.ts), run
   * from there as it is; or one holding the package's Brotli files, unpacked into the temp dir on
   * first use.
   */
  binDir?: string;
  /**
   * Runs the renderer inside the browser process. Off by default (a crashed renderer then cannot
   * take the browser with it); some sandboxes that forbid process creation need it on.
   */
  singleProcess?: boolean;
  /** Written to the PDF's Producer and Creator. */
  producer?: string;
  /** Fixes CreationDate and ModDate when the metadata gives none, so the same HTML gives the same bytes. */
  documentDate?: Date;
  /** The only fonts the browser is offered, by family name: the letter's (FONTS_DIR) by default. */
  fontFiles?: string[];
}

const DEFAULT_TIMEOUT_MS = 20_000;
const PROTOCOL_TIMEOUT_MS = 60_000;
/** How long a browser or page is given to close politely before it is killed or left. */
const CLOSE_GRACE_MS = 5_000;

// A port nothing listens on: any request that escapes interception fails at once, locally.
const DEAD_PROXY = 'http://127.0.0.1:9';

/**
 * Letters printed on one page before it is replaced. Each letter written into a page that is never
 * navigated costs a little more than the last (about 0.1 ms a letter, without bound: 20 ms grows
 * to over 100 ms after 1,000 letters); a fresh page starts from the bottom again. Opening one
 * costs about 60 ms, so every 50 letters keeps both costs to a few ms a letter.
 */
const RENDERS_PER_PAGE = 50;

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

/** A render that ran out of time; its page is replaced, so a retry can succeed. */
export class RenderTimeoutError extends Error {
  constructor(ms: number) {
    super(`rendering took longer than ${ms} ms`);
    this.name = 'RenderTimeoutError';
  }
}

const noopLogger: RendererLogger = { info() {}, warn() {} };
const within = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms).unref());

/** A page, the protocol session and frame it is printed through, and the letters it has printed. */
interface HeldPage {
  page: Page;
  target: PrintTarget;
  uses: number;
  crashed: boolean;
}

/**
 * What page.pdf() would ask for with the options the letter is printed with (A4, backgrounds, the
 * CSS page size, tagged, no outline), less the wait for web fonts: a letter has none to wait for.
 */
const PRINT_TO_PDF = {
  landscape: false,
  displayHeaderFooter: false,
  headerTemplate: '',
  footerTemplate: '',
  printBackground: true,
  scale: 1,
  paperWidth: 8.27,
  paperHeight: 11.7,
  marginTop: 0,
  marginBottom: 0,
  marginLeft: 0,
  marginRight: 0,
  preferCSSPageSize: true,
  generateTaggedPDF: true,
  generateDocumentOutline: false,
} as const;

/** Where a page's documents are written and printed from: a protocol session of its own and the page's frame. */
export interface PrintTarget {
  session: CDPSession;
  frameId: string;
}

export async function printTarget(page: Page): Promise<PrintTarget> {
  const session = await page.createCDPSession();
  const { frameTree } = await session.send('Page.getFrameTree');
  return { session, frameId: frameTree.frame.id };
}

/**
 * Two protocol calls: the document written into the page, then printed with the PDF returned in
 * the answer. page.setContent() and page.pdf() make the same PDF, byte for byte, in about seven
 * (a script to write the document, waits for its lifecycle events, a script for document.fonts,
 * then the PDF read back as a stream), which took a third of a render's time. A letter loads
 * nothing, so the document is complete once written.
 */
export async function printHtml({ session, frameId }: PrintTarget, html: string, pageRanges = ''): Promise<Uint8Array> {
  await session.send('Page.setDocumentContent', { frameId, html });
  const { data } = await session.send('Page.printToPDF', { ...PRINT_TO_PDF, pageRanges, transferMode: 'ReturnAsBase64' });
  return Buffer.from(data, 'base64');
}

/** Renders of one kind take turns on a page of their own. */
interface Lane {
  held?: HeldPage;
  turn: Promise<unknown>;
}

/**
 * Prints HTML to PDF with headless Chromium. One browser per process, started on first use and
 * relaunched if it dies. Archive renders and previews each take turns on a page of their own, so
 * a slow preview never holds up a letter on its way to its recipients; each page runs no script,
 * loads nothing but data: URLs, and is replaced after RENDERS_PER_PAGE letters, after a crash or
 * a failed render. A render that runs out of time loses its page (and with it its renderer
 * process); the browser goes too only if that page cannot be closed, or if everything runs in
 * one process.
 */
export class ChromiumPdfRenderer implements PdfRenderer {
  private readonly timeoutMs: number;
  private readonly logger: RendererLogger;
  private browser: Promise<Browser> | undefined;
  private readonly lanes: Record<RenderLane, Lane> = { archive: { turn: Promise.resolve() }, preview: { turn: Promise.resolve() } };
  private closed = false;

  constructor(private readonly options: ChromiumPdfRendererOptions = {}) {
    this.timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.logger = options.logger ?? noopLogger;
  }

  async fingerprint(): Promise<string> {
    return (await this.getBrowser()).version();
  }

  render(html: string, metadata: PdfMetadata, options: RenderOptions = {}): Promise<RenderedPdf> {
    const lane = this.lanes[options.lane ?? 'archive'];
    const result = lane.turn.then(() => this.renderNow(lane, html, metadata, options.maxPages));
    // The next render of this lane waits for this one whatever its outcome.
    lane.turn = result.catch(() => undefined);
    return result;
  }

  async close(): Promise<void> {
    this.closed = true;
    this.forgetPages();
    const browser = await this.forgetBrowser();
    if (!browser) return;
    // A wedged browser may never answer a polite close; it must not outlive the process either way.
    const closed = await Promise.race([browser.close().then(() => true, () => false), within(CLOSE_GRACE_MS).then(() => false)]);
    if (!closed) browser.process()?.kill('SIGKILL');
  }

  /** The browser's process id, if one is running: for health checks and crash tests. */
  async browserPid(): Promise<number | undefined> {
    return this.browser?.then((b) => b.process()?.pid).catch(() => undefined);
  }

  private async renderNow(lane: Lane, html: string, metadata: PdfMetadata, maxPages?: number): Promise<RenderedPdf> {
    if (this.closed) throw new Error('renderer is closed');
    const started = Date.now();
    const abandoned = new AbortController();
    const work = this.printWithRelaunch(lane, html, maxPages, abandoned.signal);
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new RenderTimeoutError(this.timeoutMs)), this.timeoutMs);
    });
    try {
      const printed = await Promise.race([work, deadline]);
      const result = await withDocumentProperties(Buffer.from(printed), metadata, this.options);
      this.logger.info('rendered PDF', { pages: result.pages, bytes: result.pdf.length, ms: Date.now() - started });
      return result;
    } catch (error) {
      this.logger.warn('render failed; discarding the page', { error: String(error), ms: Date.now() - started });
      const pageClosed = await this.discardPage(lane);
      if (error instanceof RenderTimeoutError) {
        abandoned.abort();
        // In one process the busy renderer is the browser; a page that will not close means a wedged browser.
        if (!pageClosed || this.options.singleProcess) await this.discardBrowser();
        // Let the abandoned work wind down before the next render's turn.
        await Promise.race([work.catch(() => undefined), within(CLOSE_GRACE_MS)]);
      }
      throw error;
    } finally {
      clearTimeout(timer);
    }
  }

  private async printWithRelaunch(lane: Lane, html: string, maxPages: number | undefined, abandoned: AbortSignal): Promise<Uint8Array> {
    const held = await this.takePage(lane);
    try {
      abandoned.throwIfAborted();
      return await this.print(held, html, maxPages);
    } catch (error) {
      // A browser that died since the last render is only noticed when it is next used.
      if (abandoned.aborted || held.page.browser().connected) throw error;
      this.logger.warn('browser lost during render; relaunching and trying again', { error: String(error) });
      await this.discardBrowser();
      const fresh = await this.takePage(lane);
      abandoned.throwIfAborted();
      return this.print(fresh, html, maxPages);
    }
  }

  /** The letter printed on the held page; the deadline in renderNow bounds it. */
  private print(held: HeldPage, html: string, maxPages?: number): Promise<Uint8Array> {
    // Past the limit only the fact counts: one page more than it says so, and costs little.
    return printHtml(held.target, html, maxPages ? `1-${maxPages + 1}` : '');
  }

  /** The lane's page while it can be trusted and has printed fewer than RENDERS_PER_PAGE letters; else a fresh one. */
  private async takePage(lane: Lane): Promise<HeldPage> {
    const held = lane.held;
    if (held && !held.crashed && held.uses < RENDERS_PER_PAGE && !held.page.isClosed() && held.page.browser().connected) {
      held.uses++;
      return held;
    }
    await this.discardPage(lane);
    const page = await (await this.getBrowser()).newPage();
    try {
      const fresh: HeldPage = { page, target: await printTarget(page), uses: 1, crashed: false };
      await this.lockDown(fresh);
      lane.held = fresh;
      return fresh;
    } catch (error) {
      await page.close().catch(() => undefined);
      throw error;
    }
  }

  /** No script, no loads but data: URLs, and what the page tried or said goes to the log. */
  private async lockDown(held: HeldPage): Promise<void> {
    const { page } = held;
    page.on('error', (error) => {
      this.logger.warn('page crashed', { error: String(error) });
      held.crashed = true;
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
      void request.abort(request.isNavigationRequest() ? 'aborted' : 'blockedbyclient').catch(() => undefined);
    });
    await page.setViewport({ width: 794, height: 1123 });
  }

  /** Closes the lane's page; false when it would not close in time, so its browser is suspect. */
  private async discardPage(lane: Lane): Promise<boolean> {
    const held = lane.held;
    lane.held = undefined;
    if (!held) return true;
    return Promise.race([held.page.close().then(() => true, () => false), within(CLOSE_GRACE_MS).then(() => false)]);
  }

  private forgetPages(): void {
    for (const lane of Object.values(this.lanes)) lane.held = undefined;
  }

  private async discardBrowser(): Promise<void> {
    const browser = await this.forgetBrowser();
    browser?.process()?.kill('SIGKILL');
    await browser?.close().catch(() => undefined);
  }

  /** Lets go of the browser and its page, returning the browser if it had started. */
  private async forgetBrowser(): Promise<Browser | undefined> {
    const pending = this.browser;
    this.browser = undefined;
    this.forgetPages();
    return pending?.catch(() => undefined);
  }

  private getBrowser(): Promise<Browser> {
    if (this.closed) return Promise.reject(new Error('renderer is closed'));
    if (this.browser) return this.browser;
    const browser = this.launch().catch((error) => {
      this.logger.warn('browser launch failed; retrying once', { error: String(error) });
      return this.launch();
    });
    this.browser = browser;
    browser.then(
      (b) =>
        b.once('disconnected', () => {
          if (this.browser !== browser) return;
          // The next render starts a new browser and a new page.
          if (!this.closed) this.logger.warn('browser disconnected; it will be relaunched on the next render');
          this.browser = undefined;
          this.forgetPages();
        }),
      () => {
        if (this.browser === browser) this.browser = undefined;
      },
    );
    return browser;
  }

  private async launch(): Promise<Browser> {
    const started = Date.now();
    // An unpacked folder runs as it is; else @sparticuz/chromium inflates its Brotli files into the
    // temp dir once per machine or sandbox (and sets the library path itself when it detects Lambda).
    const unpacked = this.options.executablePath || !this.options.binDir ? undefined : unpackedChromium(this.options.binDir);
    const located = unpacked ?? { executablePath: this.options.executablePath ?? (await chromium.executablePath(this.options.binDir)), env: {} };
    const browser = await puppeteer.launch({
      executablePath: located.executablePath,
      headless: 'shell',
      args: chromiumArgs({ singleProcess: this.options.singleProcess }),
      pipe: true,
      protocolTimeout: PROTOCOL_TIMEOUT_MS,
      handleSIGINT: false,
      handleSIGTERM: false,
      handleSIGHUP: false,
      defaultViewport: null,
      timeout: 30_000,
      // Installed fonts rather than web fonts: nothing to decode per letter, and no system font
      // in the set, so a laptop prints what Lambda prints.
      env: { ...process.env, ...located.env, FONTCONFIG_FILE: fontconfigFile(this.options.fontFiles ?? letterFonts().files) },
    });
    this.logger.info('browser launched', { version: await browser.version(), executablePath: located.executablePath, ms: Date.now() - started });
    return browser;
  }
}
