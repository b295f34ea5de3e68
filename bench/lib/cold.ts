import { spawn } from 'node:child_process';
import { createReadStream, createWriteStream, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { createBrotliDecompress } from 'node:zlib';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { installedChromiumBin, unpackChromium } from '../../cdk/constructs/chromium-layer';
import type { Progress } from './progress';
import { type Summary, summarise } from './stats';

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const CHILD = fileURLToPath(new URL('../cold-first-pdf.ts', import.meta.url));
const RESULTS = fileURLToPath(new URL('../results', import.meta.url));

interface ChildTimings {
  modulesLoaded: number;
  unpacked: number;
  pdfReady: number;
  pages: number;
  bytes: number;
}

export interface ColdRun {
  /** Spawn → the child reports its PDF, as the parent's clock sees it. */
  wallMs: number;
  /** Parts as the child saw them, from its own start: loading modules, unpacking Chromium (none once unpacked), then launch and first render. */
  modulesMs: number;
  unpackMs: number;
  launchAndRenderMs: number;
}

export interface ColdResult {
  /** tsx, Chromium already unpacked into the temp dir by an earlier run. */
  process: { runs: ColdRun[]; wallMs: Summary; modulesMs: Summary; unpackMs: Summary; launchAndRenderMs: Summary };
  /** esbuild bundle as the Lambda deploys it (ESM, @sparticuz/chromium external), plain node. */
  bundle: { runs: ColdRun[]; wallMs: Summary; modulesMs: Summary; unpackMs: Summary; launchAndRenderMs: Summary };
  /** The bundle with an empty temp dir: @sparticuz/chromium unpacks its binary, fonts and libraries first (before the layer shipped it unpacked). */
  unpack: ColdRun;
  /**
   * The bundle with an empty temp dir and Chromium from a layer-shaped folder, unpacked by the
   * code that builds the Lambda layer: what a new sandbox pays now. `buildMs` is that unpack,
   * paid once at synth, not by the sandbox.
   */
  layer: { runs: ColdRun[]; wallMs: Summary; modulesMs: Summary; unpackMs: Summary; launchAndRenderMs: Summary; buildMs: number };
  /** Each of @sparticuz/chromium's Brotli files decompressed on its own (to /dev/null), one after another. */
  files: { file: string; compressedBytes: number; bytes: number; ms: number }[];
}

/** How long each Brotli file of @sparticuz/chromium takes to decompress, alone, on one core. */
async function unpackPerFile(): Promise<ColdResult['files']> {
  const bin = installedChromiumBin();
  const files = [];
  for (const file of readdirSync(bin).filter((f) => f.endsWith('.br')).sort()) {
    let bytes = 0;
    const started = performance.now();
    const inflate = createBrotliDecompress({ chunkSize: 2 ** 21 });
    inflate.on('data', (chunk: Buffer) => (bytes += chunk.length));
    await pipeline(createReadStream(join(bin, file), { highWaterMark: 2 ** 22 }), inflate, createWriteStream('/dev/null'));
    files.push({ file, compressedBytes: statSync(join(bin, file)).size, bytes, ms: performance.now() - started });
  }
  return files;
}

function runChild(args: string[], env: Record<string, string>): Promise<ColdRun> {
  return new Promise((resolve, reject) => {
    const started = performance.now();
    const child = spawn(process.execPath, args, {
      cwd: REPO_ROOT,
      env: { ...process.env, NODE_NO_WARNINGS: '1', BENCH_REPO_ROOT: REPO_ROOT, ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    let reported: ColdRun | undefined;
    child.stdout.on('data', (chunk) => {
      out += chunk;
      const line = out.split('\n')[0];
      if (!reported && out.includes('\n')) {
        const wallMs = performance.now() - started;
        const t = JSON.parse(line) as ChildTimings;
        reported = { wallMs, modulesMs: t.modulesLoaded, unpackMs: t.unpacked - t.modulesLoaded, launchAndRenderMs: t.pdfReady - t.unpacked };
      }
    });
    child.stderr.on('data', (chunk) => (err = (err + chunk).slice(-4000)));
    child.on('error', reject);
    child.on('close', (code) => {
      if (code === 0 && reported) resolve(reported);
      else reject(new Error(`cold render exited ${code}: ${err}`));
    });
  });
}

const summariseRuns = (runs: ColdRun[]) => ({
  runs,
  wallMs: summarise(runs.map((r) => r.wallMs)),
  modulesMs: summarise(runs.map((r) => r.modulesMs)),
  unpackMs: summarise(runs.map((r) => r.unpackMs)),
  launchAndRenderMs: summarise(runs.map((r) => r.launchAndRenderMs)),
});

/** Fresh processes, each rendering one letter, one after another (never overlapping). */
export async function coldRuns(runs: number, progress: Progress): Promise<ColdResult> {
  progress.start('time to first PDF from a cold process', runs * 3 + 4);
  mkdirSync(RESULTS, { recursive: true });
  const bundle = join(RESULTS, 'cold-first-pdf.bundle.mjs');
  await build({
    entryPoints: [CHILD],
    outfile: bundle,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    minify: true,
    mainFields: ['module', 'main'],
    banner: { js: "import { createRequire } from 'module'; const require = createRequire(import.meta.url);" },
    // As the Lambda bundle: @sparticuz/chromium reads its compressed binary from its own package.
    external: ['@sparticuz/chromium'],
    logLevel: 'silent',
  });
  progress.tick();

  // One untimed run makes sure the binary is unpacked and tsx's transform cache is filled.
  await runChild(['--import', 'tsx', CHILD], {});
  progress.tick();
  const viaTsx: ColdRun[] = [];
  const viaBundle: ColdRun[] = [];
  for (let i = 0; i < runs; i++) {
    viaTsx.push(await runChild(['--import', 'tsx', CHILD], {}));
    progress.tick();
    viaBundle.push(await runChild([bundle], {}));
    progress.tick();
  }

  const scratch = mkdtempSync(join(tmpdir(), 'bench-cold-'));
  const emptyTmp = () => mkdtempSync(join(scratch, 'tmp-'));
  try {
    const unpack = await runChild([bundle], { TMPDIR: emptyTmp() });
    const files = await unpackPerFile();
    progress.tick();

    // The layer as Lambda mounts it, built by the layer construct's own code; each run starts
    // with an empty temp dir, as a new sandbox does.
    const layerDir = join(scratch, 'opt', 'chromium');
    const buildStarted = performance.now();
    unpackChromium(installedChromiumBin(), layerDir);
    const buildMs = performance.now() - buildStarted;
    progress.tick();
    const viaLayer: ColdRun[] = [];
    for (let i = 0; i < runs; i++) {
      viaLayer.push(await runChild([bundle], { TMPDIR: emptyTmp(), CHROMIUM_BIN_DIR: layerDir }));
      progress.tick();
    }
    return { process: summariseRuns(viaTsx), bundle: summariseRuns(viaBundle), unpack, layer: { ...summariseRuns(viaLayer), buildMs }, files };
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
