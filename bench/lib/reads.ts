import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startLocalStack } from '../../lambdas/local/local-stack';
import { exampleInput } from './letters';
import type { Progress } from './progress';
import { type Summary, summarise } from './stats';

export interface ReadsResult {
  reads: number;
  /** Each read's time and response size, the first hundred against the last hundred. */
  first: { ms: Summary; bytes: number };
  last: { ms: Summary; bytes: number };
  medianRatio: number;
  /** Entries the reads left in the access log (one per read; none in the letter's history). */
  accessLogged: number;
}

/**
 * Reads one archived letter over and over as a reader, each read recorded in the access log,
 * as the local stack serves it: a read must cost the same after a thousand reads as after one.
 */
export async function readsRun(reads: number, progress: Progress): Promise<ReadsResult> {
  const dataDir = mkdtempSync(join(tmpdir(), 'bench-reads-'));
  const stack = await startLocalStack({ dataDir, port: 0, logLevel: 'SILENT' });
  const call = async (token: string, method: string, path: string, body?: unknown) => {
    const response = await fetch(`${stack.url}${path}`, {
      method,
      headers: { Authorization: `Bearer ${token}`, 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    if (response.status >= 300) throw new Error(`${method} ${path}: ${response.status} ${text.slice(0, 300)}`);
    return text;
  };
  try {
    const [inspector, manager, reader] = await Promise.all([
      stack.token('inspector', 'Bench inspector'),
      stack.token('manager', 'Bench manager'),
      stack.token('reader', 'Bench reader'),
    ]);
    const { id } = JSON.parse(await call(inspector, 'POST', '/api/letters', exampleInput()));
    const { version } = JSON.parse(await call(inspector, 'POST', `/api/letters/${id}/submit`));
    await call(manager, 'POST', `/api/letters/${id}/approve`, { version });
    await stack.queue.idle();
    // SES reports each copy's delivery a moment after sending it: read only the settled letter, or
    // the first reads show copies still `sent` and the later ones `delivered`, a different size.
    for (const deadline = Date.now() + 30_000; ; ) {
      const letter = JSON.parse(await call(manager, 'GET', `/api/letters/${id}`)) as { deliveries: Record<string, { state: string }> };
      if (Object.values(letter.deliveries).every((d) => d.state === 'delivered')) break;
      if (Date.now() > deadline) throw new Error('the letter read was never reported delivered to all three recipients');
      await new Promise((resolve) => setTimeout(resolve, 50));
    }

    progress.start(`${reads} reads of one archived letter`, reads);
    const samples: { ms: number; bytes: number }[] = [];
    for (let i = 0; i < reads; i++) {
      const started = performance.now();
      const text = await call(reader, 'GET', `/api/letters/${id}`);
      samples.push({ ms: performance.now() - started, bytes: Buffer.byteLength(text) });
      progress.tick();
    }
    const log = JSON.parse(await call(manager, 'GET', `/api/letters/${id}/access?limit=100`)) as { items: unknown[] };
    const first = samples.slice(0, 100);
    const last = samples.slice(-100);
    const result = {
      reads,
      first: { ms: summarise(first.map((s) => s.ms)), bytes: Math.max(...first.map((s) => s.bytes)) },
      last: { ms: summarise(last.map((s) => s.ms)), bytes: Math.max(...last.map((s) => s.bytes)) },
      medianRatio: 0,
      accessLogged: log.items.length,
    };
    result.medianRatio = result.last.ms.median / result.first.ms.median;
    return result;
  } finally {
    await stack.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
