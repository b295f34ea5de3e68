import chromium from '@sparticuz/chromium';
import { spawn } from 'node:child_process';
import { accessSync, constants, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { delimiter, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { PDFDocument } from 'pdf-lib';
import puppeteer, { type Browser, type Page, type PDFOptions } from 'puppeteer-core';
import { ChromiumPdfRenderer, printHtml, type PrintTarget, printTarget } from '../../lambdas/adapters/chromium/chromium-pdf-renderer';
import type { RenderedPdf } from '../../lambdas/core/ports';
import type { NunjucksLetterTemplate } from '../../lambdas/adapters/templates/nunjucks-letter-template';
import { letterFontEnvironment, withDataUrlFonts, withoutWebFonts } from './fonts';
import type { BenchLetter } from './letters';
import { treeRssMb } from './proc';
import type { Progress } from './progress';
import { type Summary, summarise, timed } from './stats';

/** The print settings the project's renderer asks for, as puppeteer's page.pdf() takes them. */
const PDF_OPTIONS: PDFOptions = { format: 'A4', printBackground: true, preferCSSPageSize: true, tagged: true, outline: false };

/**
 * What Chromium needs to start here at all (root, so no sandbox) and to lay text out as the
 * project does (the same hinting, so the same line breaks and pages). Nothing else.
 */
const BARE_ARGS = ['--no-sandbox', '--font-render-hinting=none'];

export const quietLogger = { info() {}, warn() {} };

export async function chromiumPath(): Promise<string> {
  return chromium.executablePath();
}

/** A bare browser: the arguments above and, through fontconfig, the letter's fonts; nothing else. */
function launchBare(executablePath: string): Promise<Browser> {
  return puppeteer.launch({
    executablePath,
    headless: 'shell',
    args: BARE_ARGS,
    pipe: true,
    defaultViewport: null,
    env: { ...process.env, ...letterFontEnvironment() },
  });
}

/** The project's renderer as the wiring builds it. */
export function projectRenderer(): ChromiumPdfRenderer {
  return new ChromiumPdfRenderer({ logger: quietLogger });
}

type Variant = 'project' | 'dataUrl' | 'floor' | 'puppeteer';

export interface RenderSamples {
  project: number[];
  dataUrl: number[];
  floor: number[];
  puppeteer: number[];
  newBrowser: number[];
  pages: { project: number; dataUrl: number; floor: number; puppeteer: number; newBrowser: number };
  bytes: { project: number; dataUrl: number; floor: number; puppeteer: number };
  /** Whether two renders of the letter through the project's renderer gave the same bytes. */
  sameBytesOnRerender: boolean;
  projectFonts: string;
}

/** The project's path: template to HTML, then ChromiumPdfRenderer (Chromium, then the document properties written). */
export async function projectRender(template: NunjucksLetterTemplate, renderer: ChromiumPdfRenderer, letter: BenchLetter) {
  return renderer.render(template.render(letter.content), letter.metadata);
}

/**
 * A bare page reused for the floor. Writing a document into a page that is never navigated gets
 * slower with every call (about 0.1 ms each), so the floor gets a new page every 50 renders,
 * untimed: otherwise the floor itself would drift upwards during the run.
 */
class FloorPage {
  private page: Page | undefined;
  private target: PrintTarget | undefined;
  private uses = 0;

  constructor(private readonly browser: Browser) {}

  /** Opens a new page when due; never inside a timed render. */
  async ready(): Promise<void> {
    if (this.page && this.uses < 50) return;
    await this.page?.close();
    this.page = await this.browser.newPage();
    this.target = await printTarget(this.page);
    this.uses = 0;
  }

  /** Chromium's own cost: the document written and printed with the project's own two protocol calls. */
  async render(html: string): Promise<Uint8Array> {
    this.uses += 1;
    return printHtml(this.target!, html);
  }

  /** The same through puppeteer's page.setContent() and page.pdf(), as most code (and the project, before) prints. */
  async renderWithPuppeteer(html: string): Promise<Uint8Array> {
    this.uses += 1;
    await this.page!.setContent(html, { waitUntil: 'load' });
    return this.page!.pdf(PDF_OPTIONS);
  }
}

/**
 * A renderer for the data: URL fonts on a browser of its own. A page that is never navigated
 * keeps the Content-Security-Policy of every document written into it, so on the project's page,
 * after one letter whose policy is `font-src 'none'`, the inlined fonts would be refused and the
 * letter printed in the installed ones: not the path this measures. Any refusal is an error here.
 */
function dataUrlRenderer(): { renderer: ChromiumPdfRenderer; refused: string[] } {
  const refused: string[] = [];
  const renderer = new ChromiumPdfRenderer({
    logger: { info() {}, warn: (message, details) => refused.push(`${message}: ${String(details?.text ?? details?.url ?? '').slice(-160)}`) },
  });
  return { renderer, refused };
}

/** The common approach: a browser launched for the letter and closed after it. */
async function newBrowserRender(executablePath: string, html: string): Promise<Uint8Array> {
  const browser = await launchBare(executablePath);
  try {
    const page = await browser.newPage();
    await page.setContent(html, { waitUntil: 'load' });
    return await page.pdf(PDF_OPTIONS);
  } finally {
    await browser.close();
  }
}

const pageCount = async (pdf: Uint8Array) => (await PDFDocument.load(pdf, { updateMetadata: false })).getPageCount();

/**
 * Warm renders of each letter four ways, taking turns in a rotating order so none gains from
 * another's warm caches or pays for another's garbage:
 * - project: the template and ChromiumPdfRenderer, as a letter is printed;
 * - dataUrl: ChromiumPdfRenderer on a browser of its own given the HTML with Arimo inlined as
 *   data: URLs, the path the template took before its fonts came through fontconfig;
 * - floor: a bare reused page in another browser of the same binary printing the same HTML
 *   with no web fonts at all, the letter's fonts found by fontconfig: Chromium's own cost;
 * - puppeteer: the same bare page printing through page.setContent() and page.pdf().
 * Then a fresh browser per letter.
 */
export async function compareRenders(
  template: NunjucksLetterTemplate,
  letters: BenchLetter[],
  counts: { warmup: number; runs: number; newBrowserRuns: number },
  progress: Progress,
): Promise<Map<string, RenderSamples>> {
  const executablePath = await chromiumPath();
  const renderer = projectRenderer();
  const inlined = dataUrlRenderer();
  const bare = await launchBare(executablePath);
  const floor = new FloorPage(bare);
  const results = new Map<string, RenderSamples>();
  try {
    progress.start('warm renders: project, data: URL fonts, Chromium floor', letters.length * (counts.warmup + counts.runs));
    for (const letter of letters) {
      const dataUrlHtml = withDataUrlFonts(letter.html);
      const floorHtml = withoutWebFonts(letter.html);
      const last: Record<Variant, Uint8Array> = { project: new Uint8Array(), dataUrl: new Uint8Array(), floor: new Uint8Array(), puppeteer: new Uint8Array() };
      const samples: Record<Variant, number[]> = { project: [], dataUrl: [], floor: [], puppeteer: [] };
      const run: Record<Variant, () => Promise<Uint8Array>> = {
        project: async () => (await projectRender(template, renderer, letter)).pdf,
        dataUrl: async () => (await inlined.renderer.render(dataUrlHtml, letter.metadata)).pdf,
        floor: () => floor.render(floorHtml),
        puppeteer: () => floor.renderWithPuppeteer(floorHtml),
      };
      const order: Variant[] = ['project', 'dataUrl', 'floor', 'puppeteer'];
      for (let i = 0; i < counts.warmup + counts.runs; i++) {
        await floor.ready();
        for (let k = 0; k < order.length; k++) {
          const variant = order[(i + k) % order.length];
          const [ms, pdf] = await timed(run[variant]);
          last[variant] = pdf;
          if (i >= counts.warmup) samples[variant].push(ms);
        }
        progress.tick();
      }
      if (inlined.refused.length) throw new Error(`the browser refused the data: URL fonts, so that path was not measured: ${inlined.refused[0]}`);
      const again = await run.project();
      results.set(letter.name, {
        ...samples,
        newBrowser: [],
        pages: {
          project: await pageCount(last.project),
          dataUrl: await pageCount(last.dataUrl),
          floor: await pageCount(last.floor),
          puppeteer: await pageCount(last.puppeteer),
          newBrowser: 0,
        },
        bytes: { project: last.project.length, dataUrl: last.dataUrl.length, floor: last.floor.length, puppeteer: last.puppeteer.length },
        sameBytesOnRerender: Buffer.from(again).equals(Buffer.from(last.project)),
        projectFonts: withoutWebFonts(letter.html) === letter.html ? 'Arimo TTF through fontconfig' : 'Arimo WOFF2 as data: URLs, inlined by the template',
      });
    }
  } finally {
    await renderer.close();
    await inlined.renderer.close();
    await bare.close();
  }

  // Alone, so that the two warm browsers above neither help nor hinder it.
  progress.start('a new browser per letter', letters.length * counts.newBrowserRuns);
  for (const letter of letters) {
    const samples = results.get(letter.name)!;
    const html = withoutWebFonts(letter.html);
    for (let i = 0; i < counts.newBrowserRuns; i++) {
      const [ms, pdf] = await timed(() => newBrowserRender(executablePath, html));
      samples.newBrowser.push(ms);
      samples.pages.newBrowser = await pageCount(pdf);
      progress.tick();
    }
  }
  return results;
}

export interface WeasyPrintResult {
  version: string;
  samples: number[];
  pages: number;
  bytes: number;
}

/** The Python that runs the `weasyprint` on the PATH: the one named by its script's #! line. */
export function weasyPrintPython(): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(delimiter)) {
    const script = join(dir, 'weasyprint');
    try {
      accessSync(script, constants.X_OK);
    } catch {
      continue;
    }
    const firstLine = readFileSync(script, 'utf8').split('\n', 1)[0];
    const shebang = /^#!\s*(\S+)(?:\s+(\S+))?/.exec(firstLine);
    if (!shebang) return 'python3';
    // "#!/usr/bin/env python3" names the interpreter second.
    return shebang[1].endsWith('/env') && shebang[2] ? shebang[2] : shebang[1];
  }
  return undefined;
}

const WEASYPRINT_SCRIPT = fileURLToPath(new URL('../weasyprint_bench.py', import.meta.url));

/**
 * WeasyPrint in its best configuration: the same HTML without web fonts, the letter's fonts
 * found through fontconfig as files (WeasyPrint decodes a data: URL font on every render and
 * ignores `unicode-range`). One Python process imports it once; warm-up renders are dropped.
 */
export async function weasyPrintRenders(python: string, letter: BenchLetter, warmup: number, runs: number): Promise<WeasyPrintResult> {
  const dir = mkdtempSync(join(tmpdir(), 'bench-weasyprint-'));
  try {
    const htmlPath = join(dir, 'letter.html');
    writeFileSync(htmlPath, withoutWebFonts(letter.html));
    const stdout = await new Promise<string>((resolve, reject) => {
      const child = spawn(python, [WEASYPRINT_SCRIPT, htmlPath, String(warmup + runs)], {
        stdio: ['ignore', 'pipe', 'pipe'],
        env: { ...process.env, ...letterFontEnvironment() },
      });
      let out = '';
      let err = '';
      child.stdout.on('data', (chunk) => (out += chunk));
      // WeasyPrint warns about CSS it does not support; kept only to explain a failure.
      child.stderr.on('data', (chunk) => (err = (err + chunk).slice(-4000)));
      child.on('error', reject);
      child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`weasyprint bench exited ${code}: ${err}`))));
    });
    const parsed = JSON.parse(stdout) as { version: string; ms: number[]; bytes: number; pages: number };
    return { version: parsed.version, samples: parsed.ms.slice(warmup), pages: parsed.pages, bytes: parsed.bytes };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface MemoryResult {
  letters: number;
  startMb: number;
  endMb: number;
  maxMb: number;
  growthPct: number;
  /** Resident memory of the browser tree every `every` letters. */
  series: number[];
  every: number;
  nodeRssStartMb: number;
  nodeRssEndMb: number;
  renderMs: Summary;
  /** Render times of the first and last tenth of the run: a renderer that slows with use shows here. */
  firstTenthMs: Summary;
  lastTenthMs: Summary;
}

/**
 * Memory of the browser process tree over many letters through one renderer: measured after a
 * warm-up, when the browser has loaded what every letter needs, and again at the end.
 */
export async function memoryRun(template: NunjucksLetterTemplate, letters: BenchLetter[], count: number, progress: Progress): Promise<MemoryResult> {
  const renderer = projectRenderer();
  const warmup = 20;
  const every = Math.max(1, Math.round(count / 20));
  try {
    progress.start(`memory over ${count} letters`, warmup + count);
    for (let i = 0; i < warmup; i++) {
      await projectRender(template, renderer, letters[i % letters.length]);
      progress.tick();
    }
    const pid = await renderer.browserPid();
    if (!pid) throw new Error('the renderer has no browser process');
    const startMb = treeRssMb(pid);
    const nodeRssStartMb = process.memoryUsage().rss / 2 ** 20;
    const series = [startMb];
    const times: number[] = [];
    for (let i = 1; i <= count; i++) {
      times.push((await timed(() => projectRender(template, renderer, letters[i % letters.length])))[0]);
      if (i % every === 0 || i === count) series.push(treeRssMb(pid));
      progress.tick();
    }
    if ((await renderer.browserPid()) !== pid) throw new Error('the browser was replaced during the memory run');
    const endMb = series[series.length - 1];
    return {
      letters: count,
      startMb,
      endMb,
      maxMb: Math.max(...series),
      growthPct: ((endMb - startMb) / startMb) * 100,
      series,
      every,
      nodeRssStartMb,
      nodeRssEndMb: process.memoryUsage().rss / 2 ** 20,
      renderMs: summarise(times),
      firstTenthMs: summarise(times.slice(0, Math.max(1, Math.floor(count / 10)))),
      lastTenthMs: summarise(times.slice(-Math.max(1, Math.floor(count / 10)))),
    };
  } finally {
    await renderer.close();
  }
}
