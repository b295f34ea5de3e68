/**
 * Render and pipeline speed, side by side with the alternatives, measured in one run:
 *   npm run bench                      the full run (a few minutes)
 *   npm run bench -- --quick           small counts, for a quick check
 *   npm run bench -- --letters 200     a shorter memory run
 *   npm run bench -- --only render,e2e phases: render, weasyprint, memory, e2e, client, cold, bundles, pages, reads
 *   npm run bench -- --write-docs      also refresh docs/bench.md and docs/bench-latest.json
 *   npm run bench -- --profile         sample the Node process during the end-to-end throughput run
 * Prints Markdown tables on stdout, progress on stderr, and writes bench/results/latest.json.
 */
import { execFileSync } from 'node:child_process';
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { cpus, loadavg, release, totalmem, type } from 'node:os';
import { fileURLToPath } from 'node:url';
import puppeteer from 'puppeteer-core';
import { NunjucksLetterTemplate } from '../lambdas/adapters/templates/nunjucks-letter-template';
import { type BundleRow, bundleRuns } from './lib/bundles';
import { type ClientResult, clientRun } from './lib/client';
import { type ColdResult, coldRuns } from './lib/cold';
import { type CostLine, costPerThousand, PRICES } from './lib/cost';
import { benchLetters, TEMPLATES_DIR } from './lib/letters';
import { type PagesResult, previewPagesRun } from './lib/pages';
import { type PipelineResult, pipelineRun } from './lib/pipeline';
import { PROFILER } from './lib/profile';
import { type ReadsResult, readsRun } from './lib/reads';
import { Progress } from './lib/progress';
import {
  chromiumPath,
  compareRenders,
  type MemoryResult,
  memoryRun,
  type WeasyPrintResult,
  weasyPrintPython,
  weasyPrintRenders,
} from './lib/render';
import { round, type Summary, summarise } from './lib/stats';

const PHASES = ['render', 'weasyprint', 'memory', 'e2e', 'client', 'cold', 'bundles', 'pages', 'reads'] as const;
type Phase = (typeof PHASES)[number];

interface Options {
  quick: boolean;
  letters: number;
  only: Set<Phase>;
  out: string;
  writeDocs: boolean;
  profile: boolean;
}

const RESULTS_FILE = fileURLToPath(new URL('./results/latest.json', import.meta.url));
const DOCS_PAGE = fileURLToPath(new URL('../docs/bench.md', import.meta.url));
const DOCS_JSON = fileURLToPath(new URL('../docs/bench-latest.json', import.meta.url));

function usage(message?: string): never {
  if (message) console.error(message);
  console.error('usage: npm run bench -- [--quick] [--letters N] [--only render,weasyprint,memory,e2e,client,cold,bundles,pages,reads] [--out file.json] [--write-docs] [--profile]');
  process.exit(2);
}

function parseArgs(argv: string[]): Options {
  const options: Options = { quick: false, letters: 0, only: new Set(PHASES), out: RESULTS_FILE, writeDocs: false, profile: false };
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const value = () => argv[++i] ?? usage(`${arg} needs a value`);
    if (arg === '--quick') options.quick = true;
    else if (arg === '--letters') {
      options.letters = Number(value());
      if (!Number.isInteger(options.letters) || options.letters < 1) usage('--letters takes a whole number of letters');
    } else if (arg === '--only') {
      const phases = value().split(',');
      const unknown = phases.filter((p) => !PHASES.includes(p as Phase));
      if (unknown.length) usage(`unknown phase: ${unknown.join(', ')}`);
      options.only = new Set(phases as Phase[]);
    } else if (arg === '--out') options.out = value();
    else if (arg === '--write-docs') options.writeDocs = true;
    else if (arg === '--profile') options.profile = true;
    else if (arg === '--help' || arg === '-h') usage();
    else usage(`unknown argument: ${arg}`);
  }
  return options;
}

function countsFor(options: Options) {
  const q = options.quick;
  return {
    // Renders are cheap and their ratio is a target: even a quick run takes enough of them to be steady.
    render: { warmup: q ? 5 : 10, runs: q ? 40 : 100, newBrowserRuns: q ? 4 : 20 },
    weasyprint: { warmup: q ? 1 : 2, runs: q ? 4 : 20 },
    memoryLetters: options.letters || (q ? 100 : 1000),
    pipeline: { warmup: q ? 3 : 10, sequential: q ? 15 : 100, throughput: q ? 24 : 100, concurrency: 8 },
    // The client's batch is the target's: 40 letters approved at once, each polled every 500 ms.
    client: { warmup: 3, sequential: q ? 10 : 40, sequentialPollMs: 50, batch: 40, batchRuns: 5, batchPollMs: 500, usageLetters: q ? 3 : 10 },
    coldRuns: q ? 1 : 5,
    pages: { targets: [50, 100, 200], warmup: 1, runs: q ? 3 : 7 },
    reads: 1_000,
  };
}

/** The targets this machine is held to; each reads a measured value and says whether it is met. */
interface Target {
  target: string;
  measured: string;
  met: boolean;
}

interface RenderRow {
  project: Summary;
  dataUrl: Summary;
  floor: Summary;
  puppeteer: Summary;
  newBrowser: Summary;
  weasyprint?: Summary;
  pages: { project: number; dataUrl: number; floor: number; puppeteer: number; newBrowser: number; weasyprint?: number };
  bytes: { project: number; dataUrl: number; floor: number; puppeteer: number };
  sameBytesOnRerender: boolean;
  /** How the template's HTML brings its fonts. */
  projectFonts: string;
  ratios: { projectOverFloor: number; projectOverDataUrl: number; newBrowserOverProject: number; weasyprintOverProject?: number };
}

interface Report {
  generatedAt: string;
  command: string;
  quick: boolean;
  machine: Record<string, string | number>;
  counts: ReturnType<typeof countsFor>;
  render?: Record<string, RenderRow>;
  weasyprint: { available: boolean; version?: string; note: string };
  memory?: MemoryResult;
  pipeline?: PipelineResult;
  client?: ClientResult;
  cost?: { prices: typeof PRICES; lines: CostLine[]; total: number };
  cold?: ColdResult;
  bundles?: BundleRow[];
  pages?: PagesResult;
  reads?: ReadsResult;
  targets: Target[];
}

function git(args: string[]): string {
  try {
    return execFileSync('git', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] }).trim();
  } catch {
    return 'unknown';
  }
}

async function chromiumVersion(): Promise<string> {
  const browser = await puppeteer.launch({ executablePath: await chromiumPath(), headless: 'shell', args: ['--no-sandbox'], pipe: true });
  try {
    return await browser.version();
  } finally {
    await browser.close();
  }
}

async function machine(): Promise<Record<string, string | number>> {
  const cpu = cpus();
  return {
    cpu: cpu[0]?.model.trim() ?? 'unknown',
    cores: cpu.length,
    memoryGiB: round(totalmem() / 2 ** 30, 1),
    os: `${type()} ${release()}`,
    node: process.version,
    // Other work on the machine skews every number; recorded so a run can be judged.
    loadAverageAtStart: loadavg().map((l) => l.toFixed(2)).join(' '),
    chromium: await chromiumVersion(),
    commit: `${git(['rev-parse', '--short', 'HEAD'])}${git(['status', '--porcelain', '--', 'lambdas', 'templates']) ? ' (with uncommitted changes)' : ''}`,
  };
}

const ms = (x: number) => (Number.isFinite(x) ? (x >= 100 ? x.toFixed(0) : x.toFixed(1)) : 'n/a');
const times = (x: number | undefined) => (x !== undefined && Number.isFinite(x) ? `${x.toFixed(2)}×` : 'n/a');
const table = (head: string[], rows: string[][]) =>
  [`| ${head.join(' | ')} |`, `| ${head.map(() => '---').join(' | ')} |`, ...rows.map((r) => `| ${r.join(' | ')} |`)].join('\n');

type Section = 'render' | 'memory' | 'pipeline' | 'client' | 'cost' | 'cold' | 'bundles' | 'pages' | 'reads' | 'targets';

/** The tables, by section: docs/bench.md takes them all, the README the ones a reader asks about first. */
function renderTables(report: Report): Map<Section, string> {
  const sections = new Map<Section, string[]>();
  let out: string[] = [];
  const section = (name: Section) => {
    out = sections.get(name) ?? [];
    sections.set(name, out);
  };
  section('render');
  if (report.render) {
    out.push('### Render, per letter, warm (ms)');
    const rows: string[][] = [];
    for (const [letter, r] of Object.entries(report.render)) {
      rows.push([letter, 'project: template + ChromiumPdfRenderer (incl. writing the document properties)', r.projectFonts, ms(r.project.median), ms(r.project.p95), String(r.pages.project), '1.00×']);
      rows.push(['', 'ChromiumPdfRenderer on a browser of its own, HTML with the fonts inlined as before', 'Arimo WOFF2 as four data: URLs', ms(r.dataUrl.median), ms(r.dataUrl.p95), String(r.pages.dataUrl), times(r.dataUrl.median / r.project.median)]);
      rows.push(['', 'Chromium floor: bare reused page, document written and printed (two protocol calls)', 'no web fonts; Arimo TTF through fontconfig', ms(r.floor.median), ms(r.floor.p95), String(r.pages.floor), times(r.floor.median / r.project.median)]);
      rows.push(['', 'the same bare page through puppeteer: page.setContent() + page.pdf()', 'no web fonts; Arimo TTF through fontconfig', ms(r.puppeteer.median), ms(r.puppeteer.p95), String(r.pages.puppeteer), times(r.puppeteer.median / r.project.median)]);
      rows.push(['', 'new browser per letter', 'no web fonts; Arimo TTF through fontconfig', ms(r.newBrowser.median), ms(r.newBrowser.p95), String(r.pages.newBrowser), times(r.ratios.newBrowserOverProject)]);
      if (r.weasyprint) {
        rows.push(['', `WeasyPrint ${report.weasyprint.version}, warm, one process`, 'no web fonts; Arimo TTF through fontconfig', ms(r.weasyprint.median), ms(r.weasyprint.p95), String(r.pages.weasyprint), times(r.ratios.weasyprintOverProject)]);
      } else {
        rows.push(['', 'WeasyPrint', '', 'skipped', '', '', '']);
      }
    }
    out.push(table(['letter', 'how', 'fonts', 'median', 'p95', 'pages', 'time ÷ project'], rows));
    const same = Object.values(report.render).every((r) => r.sameBytesOnRerender);
    out.push(`\nA letter rendered twice through the project's renderer gives ${same ? 'the same bytes' : '**different bytes**'}.`);
    if (!report.weasyprint.available || report.weasyprint.note) out.push(`\nWeasyPrint: ${report.weasyprint.note}`);
  }
  section('memory');
  if (report.memory) {
    const m = report.memory;
    out.push(`\n### Memory of the browser process tree over ${m.letters} letters (RSS summed over the browser and its children)`);
    out.push(
      table(
        ['start (MiB)', 'end (MiB)', 'highest (MiB)', 'growth', 'render median, first / last tenth (ms)'],
        [[ms(m.startMb), ms(m.endMb), ms(m.maxMb), `${m.growthPct >= 0 ? '+' : ''}${m.growthPct.toFixed(1)}%`, `${ms(m.firstTenthMs.median)} / ${ms(m.lastTenthMs.median)}`]],
      ),
    );
  }
  section('pipeline');
  if (report.pipeline) {
    const p = report.pipeline;
    const first = Object.values(p.letters)[0];
    out.push('\n### End to end on the local stack: approve → PDF in S3 → three emails accepted');
    out.push(
      table(
        ['letter', 'latency median (ms)', 'p95 (ms)', 'approve request median (ms)', `letters/s, ${first?.throughput.concurrency ?? 8} in flight`, 'latency under load median (ms)', 'CPU per letter: stack\'s Node / browser / emulators (ms)'],
        Object.entries(p.letters).map(([letter, r]) => [
          letter,
          ms(r.latency.median),
          ms(r.latency.p95),
          ms(r.approveRequest.median),
          r.throughput.lettersPerSecond.toFixed(1),
          ms(r.throughput.latency.median),
          `${ms(r.throughput.cpuMsPerLetter.node)} / ${ms(r.throughput.cpuMsPerLetter.browser)} / ${ms(r.throughput.cpuMsPerLetter.emulators)}`,
        ]),
      ),
    );
    out.push(`\n${first?.latency.n ?? 0} letters of each kind one at a time, then ${first?.throughput.letters ?? 0} of each with several in flight; all ${p.checked.letters} letters checked distributed with their PDF in S3 and ${p.checked.messages} emails in the outbox.`);
    out.push('\nWhere a letter\'s time goes, one at a time (ms per letter inside each dependency; sends run in parallel, so parts overlap):');
    const names = Object.keys(p.letters);
    const stages = [...new Set(names.flatMap((n) => Object.keys(p.letters[n].stages)))].sort();
    out.push(
      table(
        ['dependency', ...names.map((n) => `${n}: calls / ms`)],
        stages.map((s) => [s, ...names.map((n) => {
          const st = p.letters[n].stages[s];
          return st ? `${st.callsPerLetter.toFixed(0)} / ${ms(st.msPerLetter)}` : '';
        })]),
      ),
    );
  }
  const profiled = Object.entries(report.pipeline?.letters ?? {}).filter(([, r]) => r.throughput.profile);
  if (profiled.length) {
    out.push(`\nWhere the Node process's main thread spent the throughput run (sampled; % of wall time):`);
    const components = [...new Set(profiled.flatMap(([, r]) => r.throughput.profile!.components.map((c) => c.component)))];
    out.push(
      table(
        ['component', ...profiled.map(([n]) => `${n}: ms per letter (share)`)],
        components.map((c) => [
          c,
          ...profiled.map(([, r]) => {
            const found = r.throughput.profile!.components.find((x) => x.component === c);
            return found ? `${ms(found.ms / r.throughput.letters)} (${(found.share * 100).toFixed(0)}%)` : '';
          }),
        ]),
      ),
    );
  }
  section('client');
  if (report.client) {
    const c = report.client;
    out.push('\n### End to end as a client sees it: over HTTP from another process, polling `GET /api/letters/{id}` as the manager, sending the ETag last seen in If-None-Match');
    out.push(
      table(
        ['run', 'letters', 'poll every', 'latency median (ms)', 'p95 (ms)', 'letters/s', 'polls per letter', 'CPU per letter: stack\'s Node / browser / emulators / client (ms)'],
        [
          ['one at a time: approve → read as distributed', String(c.sequential.latency.n), `${c.sequential.pollMs} ms`, ms(c.sequential.latency.median), ms(c.sequential.latency.p95), '', c.sequential.pollsPerLetter.toFixed(1), ''],
          [
            `all approved at once, until the last reads as distributed: the median of ${c.batch.runs.length} runs (${c.batch.runs.map((r) => r.toFixed(1)).join(', ')} letters/s, in the order run)`,
            String(c.batch.letters),
            `${c.batch.pollMs} ms`,
            ms(c.batch.latency.median),
            ms(c.batch.latency.p95),
            c.batch.lettersPerSecond.toFixed(1),
            c.batch.pollsPerLetter.toFixed(1),
            `${ms(c.batch.cpuMsPerLetter.node)} / ${ms(c.batch.cpuMsPerLetter.browser)} / ${ms(c.batch.cpuMsPerLetter.emulators)} / ${ms(c.batch.cpuMsPerLetter.client)}`,
          ],
        ],
      ),
    );
    const cpu = c.batch.cpuMsPerLetter;
    const allCpu = cpu.node + cpu.browser + cpu.emulators + cpu.client;
    if (Number.isFinite(allCpu)) {
      out.push(
        `\nIn that batch a letter took ${ms(allCpu)} ms of CPU in all (the stack, the browser, the emulators and the client), so ${cpus().length} cores could finish at most ${(cpus().length * 1000 / allCpu).toFixed(1)} letters a second, however the work were spread.`,
      );
    }
    if (c.checked) out.push(`\nAll ${c.checked.letters} letters the client waited for (these and the sampled batch below) checked afterwards: distributed, their PDF in S3, and ${c.checked.messages} emails carrying them in the outbox.`);
    const missing = c.sequential.notDistributed + c.batch.notDistributed;
    if (missing || c.deadLetters) {
      out.push(`\n**${missing} letter(s) not read as distributed within a minute; ${c.deadLetters} job(s) dead-lettered** (left out of the latencies; letters/s counts only those distributed).`);
    }
    const busy = c.profile.breakdown.components.filter((x) => x.component !== 'idle' && x.component !== PROFILER);
    const busyMs = busy.reduce((sum, x) => sum + x.ms, 0);
    out.push(`\nWhere the stack's Node CPU goes in a second batch of ${c.profile.letters}, sampled (${ms(c.profile.cpuMsPerLetter)} ms of CPU per letter, charged to components by their share of the busy main-thread samples; the emulators run in a process of their own, as AWS's services are not in a Lambda's):`);
    out.push(
      table(
        ['component', 'ms per letter', 'share of busy time'],
        busy.map((x) => [x.component, ms((c.profile.cpuMsPerLetter * x.ms) / busyMs), `${((x.ms / busyMs) * 100).toFixed(0)}%`]),
      ),
    );
    if (c.profile.breakdown.functions?.length) {
      out.push('\nThe functions with the most time of their own in that batch:');
      out.push(
        table(
          ['function', 'component', 'ms per letter'],
          c.profile.breakdown.functions.slice(0, 12).map((f) => [`\`${f.name}\``, f.component, ms((c.profile.cpuMsPerLetter * f.ms) / busyMs)]),
        ),
      );
    }
  }
  section('cost');
  if (report.cost) {
    const u = report.client!.usage;
    out.push(`\n### Cost per 1,000 letters on AWS (${report.cost.prices.region}, on-demand prices as of ${report.cost.prices.asOf}, checked ${report.cost.prices.checked}, free tiers left out)`);
    out.push(table(['item', 'per letter (measured)', 'USD per 1,000 letters'], [...report.cost.lines.map((l) => [l.item, l.basis, l.perThousandLetters.toFixed(4)]), ['**total**', '', `**${report.cost.total.toFixed(3)}**`]]));
    out.push(
      `\nMeasured over ${u.letters} letters of the example, each drafted, submitted and approved over HTTP (no polling), rendered, archived, emailed to three recipients, and each message's Send and Delivery events recorded. ` +
        'Durations are medians on this machine, billed per ms rounded up; DynamoDB units are what DynamoDB reported for each request; storage is one month of the archived files. ' +
        'Not included: CloudWatch logs and metrics, KMS requests for the encrypted topic, Cognito, data transfer, and reads of letters after they are sent.',
    );
    const sources = report.cost.prices.sources as Record<string, string>;
    const confirmed = Object.keys(sources).filter((k) => / Confirmed/.test(sources[k]));
    const unverified = Object.keys(sources).filter((k) => /unverified/.test(sources[k]));
    out.push(
      `\nPrices checked on ${report.cost.prices.checked} (sources in \`bench/lib/cost.ts\`): ${confirmed.join(', ')} confirmed; ${unverified.join(', ')} unverified, ` +
        "as written on the first date: AWS's pricing pages fill their London tables in the browser, and the stored copies read here show only the structure and US East figures.",
    );
    const stages = ['api', 'render', 'distribute', 'events'].filter((stage) => u.calls?.[stage]);
    const commands = [...new Set(stages.flatMap((stage) => Object.keys(u.calls[stage])))].sort();
    out.push(`\nCalls per letter to each service, by the function that makes them (the same ${u.letters} letters; the API's are drafting, submitting and approving):`);
    out.push(
      table(
        ['call', ...stages, 'all'],
        [
          ...commands.map((command) => [
            command,
            ...stages.map((stage) => (u.calls[stage][command] ? round(u.calls[stage][command], 1).toString() : '')),
            round(stages.reduce((sum, stage) => sum + (u.calls[stage][command] ?? 0), 0), 1).toString(),
          ]),
          [
            '**all**',
            ...stages.map((stage) => `**${round(Object.values(u.calls[stage]).reduce((a, b) => a + b, 0), 1)}**`),
            `**${round(stages.reduce((sum, stage) => sum + Object.values(u.calls[stage]).reduce((a, b) => a + b, 0), 0), 1)}**`,
          ],
        ],
      ),
    );
  }
  section('cold');
  if (report.cold) {
    const c = report.cold;
    out.push('\n### Time to the first PDF from a cold process (ms, spawn to PDF)');
    out.push(
      table(
        ['how', 'wall', 'loading modules', 'unpacking Chromium', 'launch + first render'],
        [
          [`tsx, Chromium already unpacked (median of ${c.process.wallMs.n})`, ms(c.process.wallMs.median), ms(c.process.modulesMs.median), ms(c.process.unpackMs.median), ms(c.process.launchAndRenderMs.median)],
          [`esbuild bundle as deployed, Chromium already unpacked (median of ${c.bundle.wallMs.n})`, ms(c.bundle.wallMs.median), ms(c.bundle.modulesMs.median), ms(c.bundle.unpackMs.median), ms(c.bundle.launchAndRenderMs.median)],
          ['before: esbuild bundle, empty temp dir, @sparticuz/chromium unpacks first (once per machine or Lambda sandbox)', ms(c.unpack.wallMs), ms(c.unpack.modulesMs), ms(c.unpack.unpackMs), ms(c.unpack.launchAndRenderMs)],
          ...(c.layer
            ? [[`esbuild bundle, empty temp dir, Chromium from the layer as built (unpacked at synth, ${ms(c.layer.buildMs)} ms there; median of ${c.layer.wallMs.n})`, ms(c.layer.wallMs.median), ms(c.layer.modulesMs.median), ms(c.layer.unpackMs.median), ms(c.layer.launchAndRenderMs.median)]]
            : []),
        ],
      ),
    );
    if (c.files?.length) {
      out.push('\nWhere the unpack goes: each of the package\'s Brotli files decompressed alone, one after another, on one core:');
      out.push(
        table(
          ['file', 'compressed', 'unpacked', 'ms'],
          c.files.map((f) => [`\`${f.file}\``, `${(f.compressedBytes / 2 ** 20).toFixed(1)} MiB`, `${(f.bytes / 2 ** 20).toFixed(1)} MiB`, ms(f.ms)]),
        ),
      );
    }
    out.push(
      '\n`@sparticuz/chromium` unpacks its files side by side, so the unpack takes as long as its longest file: `chromium.br`, one Brotli stream, which cannot be split across cores; ' +
        'the fonts (not used: the letter\'s own fonts come through fontconfig), SwiftShader and, on Lambda, the Amazon Linux libraries finish well before it, so leaving them out would save nothing. ' +
        'The layer therefore ships Chromium already unpacked (cdk/constructs/chromium-layer.ts, at synth), and a new sandbox runs it from /opt as it is: see docs/bench.md.',
    );
  }
  section('bundles');
  if (report.bundles) {
    out.push('\n### Function bundles: size and import time on Node 22 (ms, fresh process)');
    out.push(
      table(
        ['function', 'entry', 'bundle', 'import, median', 'import with --enable-source-maps, median'],
        report.bundles.map((b) => [b.fn, b.entry, `${(b.bytes / 2 ** 20).toFixed(2)} MB`, ms(b.importMs.median), ms(b.importWithSourceMapsMs.median)]),
      ),
    );
  }
  section('pages');
  if (report.pages) {
    out.push('\n### DRAFT preview time against page count (warm, preview lane)');
    out.push(
      table(
        ['pages', 'median (ms)', 'p95 (ms)', 'ms per page'],
        report.pages.rows.map((r) => [String(r.pages), ms(r.ms.median), ms(r.ms.p95), r.msPerPage.toFixed(2)]),
      ),
    );
    out.push(`\nTime per page at ${report.pages.rows.at(-1)?.pages} pages over time per page at ${report.pages.rows[0]?.pages}: ${times(report.pages.growth)} (1× is linear).`);
  }
  section('reads');
  if (report.reads) {
    const r = report.reads;
    out.push(`\n### Reading one archived letter ${r.reads} times as a reader (each read recorded in the access log)`);
    out.push(
      table(
        ['reads', 'median (ms)', 'p95 (ms)', 'response (bytes)'],
        [
          ['first hundred', ms(r.first.ms.median), ms(r.first.ms.p95), String(r.first.bytes)],
          ['last hundred', ms(r.last.ms.median), ms(r.last.ms.p95), String(r.last.bytes)],
          ['last ÷ first', times(r.medianRatio), times(r.last.ms.p95 / r.first.ms.p95), times(r.last.bytes / r.first.bytes)],
        ],
      ),
    );
  }
  section('targets');
  if (report.targets.length) {
    out.push('\n### Targets');
    out.push(table(['target', 'measured', 'met'], report.targets.map((t) => [t.target, t.measured, t.met ? 'yes' : '**no**'])));
  }
  return new Map([...sections].filter(([, lines]) => lines.length).map(([name, lines]) => [name, lines.join('\n').replace(/^\n+/, '')]));
}

const joined = (tables: Map<Section, string>, names?: Section[]) =>
  [...tables].filter(([name]) => !names || names.includes(name)).map(([, text]) => text).join('\n\n');

function targets(report: Report): Target[] {
  const list: Target[] = [];
  for (const [letter, r] of Object.entries(report.render ?? {})) {
    list.push({ target: `${letter}: project render ≤ 1.1× a bare page printing the same HTML with no web fonts`, measured: times(r.ratios.projectOverFloor), met: r.ratios.projectOverFloor <= 1.1 });
    const faster = 1 - r.ratios.projectOverDataUrl;
    list.push({ target: `${letter}: ≥ 30% faster than the data: URL fonts, same run`, measured: `${(faster * 100).toFixed(0)}% faster`, met: faster >= 0.3 });
    list.push({
      target: `${letter}: the same pages as the data: URL fonts, and the same bytes on re-render`,
      measured: `${r.pages.project} / ${r.pages.dataUrl} pages; ${r.sameBytesOnRerender ? 'same bytes' : 'bytes differ'}`,
      met: r.pages.project === r.pages.dataUrl && r.sameBytesOnRerender,
    });
  }
  if (report.memory) {
    list.push({ target: `browser memory growth ≤ 10% over ${report.memory.letters} letters`, measured: `${report.memory.growthPct.toFixed(1)}%`, met: report.memory.growthPct <= 10 });
  }
  if (report.client) {
    const c = report.client;
    list.push({ target: 'client over HTTP, one at a time, polling every 50 ms: median ≤ 250 ms', measured: `${ms(c.sequential.latency.median)} ms`, met: c.sequential.latency.median <= 250 });
    list.push({ target: `client over HTTP, ${c.batch.letters} approved at once, polling every 500 ms: ≥ 10 letters/s`, measured: `${c.batch.lettersPerSecond.toFixed(1)} letters/s`, met: c.batch.lettersPerSecond >= 10 });
    list.push({ target: 'Node CPU per letter ≤ 60 ms (the stack\'s process: API, stages, SDK; the emulators apart)', measured: `${ms(c.batch.cpuMsPerLetter.node)} ms`, met: c.batch.cpuMsPerLetter.node <= 60 });
  }
  if (report.cold) {
    const c = report.cold;
    list.push({ target: 'cold first PDF ≤ 1.5 s (bundle, fresh process, Chromium unpacked)', measured: `${ms(c.bundle.wallMs.median)} ms`, met: c.bundle.wallMs.median <= 1500 });
    if (c.layer) {
      list.push({
        target: 'cold first PDF ≤ 1.5 s including any Chromium unpack (new sandbox: empty temp dir, Chromium from the layer)',
        measured: `${ms(c.layer.wallMs.median)} ms, nothing to unpack (${ms(c.unpack.wallMs)} ms when @sparticuz/chromium unpacked at run time)`,
        met: c.layer.wallMs.median <= 1500,
      });
    }
  }
  if (report.pages) {
    list.push({ target: 'DRAFT preview time grows linearly with pages: ms per page at 200 pages ≤ 1.3× that at 50', measured: times(report.pages.growth), met: report.pages.growth <= 1.3 });
  }
  if (report.reads) {
    const r = report.reads;
    list.push({ target: `a read after ${r.reads} reads: same response size as the first`, measured: `${r.first.bytes} → ${r.last.bytes} bytes`, met: r.last.bytes === r.first.bytes });
    list.push({ target: `a read after ${r.reads} reads: median within 1.5× of the first hundred's`, measured: times(r.medianRatio), met: r.medianRatio <= 1.5 });
  }
  return list;
}

function machineLines(report: Report): string {
  const m = report.machine;
  return [
    `- Machine: ${m.cpu}, ${m.cores} cores, ${m.memoryGiB} GiB RAM, ${m.os}`,
    `- Node ${m.node}; Chromium ${m.chromium} (@sparticuz/chromium, headless shell)${report.weasyprint.version ? `; WeasyPrint ${report.weasyprint.version}` : ''}`,
    `- Load average (1, 5, 15 min): ${m.loadAverageAtStart} at the start, ${m.loadAverageAtEnd} at the end`,
    `- Commit ${m.commit}; ${report.generatedAt}`,
    `- Command: \`${report.command}\``,
  ].join('\n');
}

const README = fileURLToPath(new URL('../README.md', import.meta.url));

/** Replaces what lies between a file's bench markers. */
function replaceBetweenMarkers(file: string, text: string) {
  const start = '<!-- bench:start -->';
  const end = '<!-- bench:end -->';
  const page = readFileSync(file, 'utf8');
  const from = page.indexOf(start);
  const to = page.indexOf(end);
  if (from < 0 || to < from) throw new Error(`${file} has no ${start} … ${end} section to replace`);
  writeFileSync(file, `${page.slice(0, from)}${start}\n${text}\n${end}${page.slice(to + end.length)}`);
}

/** Refreshes docs/bench.md (every table) and the README (render, client, cost, cold, targets), and copies the JSON beside them. */
function writeDocs(report: Report, tables: Map<Section, string>) {
  replaceBetweenMarkers(DOCS_PAGE, `${machineLines(report)}\n\n${joined(tables)}`);
  const forReadme = joined(tables, ['render', 'client', 'cost', 'cold', 'targets']).replace(/^### /gm, '#### ');
  replaceBetweenMarkers(README, `${machineLines(report)}\n\n${forReadme}`);
  writeFileSync(DOCS_JSON, `${JSON.stringify(report, null, 2)}\n`);
}

async function main() {
  const options = parseArgs(process.argv.slice(2));
  const counts = countsFor(options);
  const has = (phase: Phase) => options.only.has(phase);
  // The AWS SDK warns about Node 20's support window on every run; it says nothing about speed.
  process.removeAllListeners('warning');
  process.on('warning', (warning) => {
    if (!/NodeVersionSupport/.test(warning.name)) console.error(warning);
  });

  const python = has('weasyprint') ? weasyPrintPython() : undefined;
  const report: Report = {
    generatedAt: new Date().toISOString(),
    command: ['npm run bench', ...(process.argv.length > 2 ? ['--', ...process.argv.slice(2)] : [])].join(' '),
    quick: options.quick,
    machine: await machine(),
    counts,
    weasyprint: {
      available: Boolean(python),
      note: !has('weasyprint')
        ? 'not run (--only).'
        : python
          ? ''
          : 'skipped: no `weasyprint` on the PATH (Debian: apt-get install weasyprint).',
    },
    targets: [],
  };

  const template = new NunjucksLetterTemplate(TEMPLATES_DIR);
  const letters = benchLetters(template);
  const phaseCount = (has('render') ? 2 : 0) + (has('weasyprint') && python ? 1 : 0) + (has('memory') ? 1 : 0) + (has('e2e') ? 1 : 0) + (has('client') ? 1 : 0) + (has('cold') ? 1 : 0) + (has('bundles') ? 1 : 0) + (has('pages') ? 1 : 0) + (has('reads') ? 1 : 0);
  const progress = new Progress(phaseCount);

  if (has('render')) {
    const samples = await compareRenders(template, letters, counts.render, progress);
    report.render = {};
    for (const [name, s] of samples) {
      const row: RenderRow = {
        project: summarise(s.project),
        dataUrl: summarise(s.dataUrl),
        floor: summarise(s.floor),
        puppeteer: summarise(s.puppeteer),
        newBrowser: summarise(s.newBrowser),
        pages: s.pages,
        bytes: s.bytes,
        sameBytesOnRerender: s.sameBytesOnRerender,
        projectFonts: s.projectFonts,
        ratios: { projectOverFloor: 0, projectOverDataUrl: 0, newBrowserOverProject: 0 },
      };
      row.ratios.projectOverFloor = row.project.median / row.floor.median;
      row.ratios.projectOverDataUrl = row.project.median / row.dataUrl.median;
      row.ratios.newBrowserOverProject = row.newBrowser.median / row.project.median;
      report.render[name] = row;
    }
  }

  if (has('weasyprint') && python) {
    progress.start('WeasyPrint on the same HTML', letters.length);
    const weasy: WeasyPrintResult[] = [];
    try {
      for (const letter of letters) {
        weasy.push(await weasyPrintRenders(python, letter, counts.weasyprint.warmup, counts.weasyprint.runs));
        progress.tick();
      }
    } catch (error) {
      // A comparison, not the project: its failure is reported and the row left out, never the run lost.
      const last = String(error).trim().split('\n').filter(Boolean).at(-1) ?? String(error);
      report.weasyprint.note = `failed on this machine, so left out: ${last.slice(0, 300)}`;
    }
    if (weasy.length === letters.length) {
      report.weasyprint.version = weasy[0]?.version;
      report.weasyprint.note =
        'given its best configuration: the same HTML without @font-face rules and the letter\'s TTF files found through fontconfig. ' +
        'Fed data: URL fonts it decodes them on every render and, ignoring `unicode-range`, falls back to system fonts.';
      letters.forEach((letter, i) => {
        const row = report.render?.[letter.name];
        if (!row) return;
        row.weasyprint = summarise(weasy[i].samples);
        row.pages.weasyprint = weasy[i].pages;
        row.ratios.weasyprintOverProject = row.weasyprint.median / row.project.median;
      });
    }
  }

  if (has('memory')) report.memory = await memoryRun(template, letters, counts.memoryLetters, progress);
  if (has('e2e')) report.pipeline = await pipelineRun(letters, counts.pipeline, options.profile, progress);
  if (has('client')) {
    report.client = await clientRun(letters[0], counts.client, progress);
    report.cost = { prices: PRICES, ...costPerThousand(report.client.usage) };
  }
  if (has('cold')) report.cold = await coldRuns(counts.coldRuns, progress);
  if (has('bundles')) report.bundles = await bundleRuns(counts.coldRuns, progress);
  if (has('pages')) report.pages = await previewPagesRun(template, counts.pages, progress);
  if (has('reads')) report.reads = await readsRun(counts.reads, progress);
  progress.end();
  report.machine.loadAverageAtEnd = loadavg().map((l) => l.toFixed(2)).join(' ');

  report.targets = targets(report);
  const tables = renderTables(report);
  mkdirSync(fileURLToPath(new URL('./results', import.meta.url)), { recursive: true });
  writeFileSync(options.out, `${JSON.stringify(report, null, 2)}\n`);
  if (options.writeDocs) writeDocs(report, tables);
  process.stdout.write(`${machineLines(report)}\n\n${joined(tables)}\n\nJSON: ${options.out}${options.writeDocs ? `; docs: ${DOCS_PAGE}, ${README}` : ''}\n`);
}

main().then(
  // Sockets and timers the emulators leave behind must not keep a finished run alive.
  () => process.exit(0),
  (error: unknown) => {
    console.error(error);
    process.exit(1);
  },
);
