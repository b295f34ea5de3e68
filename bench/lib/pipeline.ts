import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { ChromiumPdfRenderer } from '../../lambdas/adapters/chromium/chromium-pdf-renderer';
import type { Role } from '../../lambdas/core/letter';
import { type LocalStack, startLocalStack } from '../../lambdas/local/local-stack';
import type { BenchLetter } from './letters';
import { type CpuBreakdown, profileMainThread } from './profile';
import { stackCpuSince } from './proc';
import type { Progress } from './progress';
import { type Summary, summarise } from './stats';

interface Submitted {
  id: string;
  version: number;
}

/** Time spent inside one dependency per letter, summed over its calls (calls may overlap). */
export interface StageTimes {
  [stage: string]: { callsPerLetter: number; msPerLetter: number };
}

export interface PipelineLetterResult {
  /** Approve request sent → letter recorded as distributed, one letter at a time. */
  latency: Summary;
  /** The approve request alone (the 202). */
  approveRequest: Summary;
  stages: StageTimes;
  throughput: {
    letters: number;
    concurrency: number;
    seconds: number;
    lettersPerSecond: number;
    latency: Summary;
    /** CPU used meanwhile, ms per letter: this Node process (API, stages), the browser tree, and the emulators' process. */
    cpuMsPerLetter: { node: number; browser: number; emulators: number };
    /** With --profile: where this process's main thread spent the throughput run. */
    profile?: CpuBreakdown;
  };
}

export interface PipelineResult {
  letters: Record<string, PipelineLetterResult>;
  checked: { letters: number; messages: number };
}

export class Api {
  constructor(
    private readonly url: string,
    private readonly token: string,
  ) {}

  async call<T = any>(method: string, path: string, body?: unknown): Promise<T> {
    const response = await fetch(`${this.url}${path}`, {
      method,
      headers: { Authorization: `Bearer ${this.token}`, 'Content-Type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const text = await response.text();
    if (response.status >= 300) throw new Error(`${method} ${path}: ${response.status} ${text.slice(0, 500)}`);
    return (text ? JSON.parse(text) : undefined) as T;
  }
}

/**
 * Watches the stack's own dependencies from outside: the moment the repository records a letter
 * as distributed, and the time spent in each dependency. Only this process's copies of the
 * objects are wrapped; no project code changes.
 */
export class Watch {
  private readonly waiting = new Map<string, (at: number) => void>();
  private readonly stages = new Map<string, { calls: number; ms: number }>();

  constructor(stack: LocalStack) {
    const { deps } = stack;
    this.wrap(deps.letters, 'transition', 'dynamodb: transition', (args) => {
      // The write's guard names the status it moves the letter to.
      const [id, guard] = args as [string, { to?: string }];
      if (guard.to === 'distributed') this.waiting.get(id)?.(performance.now());
    });
    // Every outcome of a send is recorded here (recordDelivery too); the write that records the
    // last copies sent may move the letter to distributed.
    this.wrap(deps.letters, 'recordDeliveries', 'dynamodb: recordDeliveries', (args) => {
      const [id, , , then] = args as [string, unknown, unknown, { guard?: { to?: string } } | undefined];
      if (then?.guard?.to === 'distributed') this.waiting.get(id)?.(performance.now());
    });
    for (const method of ['get', 'claimDeliveries'] as const) this.wrap(deps.letters, method, `dynamodb: ${method}`);
    this.wrap(deps.renderer, 'render', 'renderer.render (Chromium + document properties)');
    this.wrap(deps.template, 'render', 'template.render');
    this.wrap(deps.archive, 'put', 's3: put');
    this.wrap(deps.archive, 'get', 's3: get');
    this.wrap(deps.mailer, 'send', 'ses: send');
  }

  /** Resolves with the time the letter was recorded as distributed. */
  distributed(id: string, timeoutMs = 60_000): Promise<number> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting.delete(id);
        reject(new Error(`letter ${id} was not distributed within ${timeoutMs} ms`));
      }, timeoutMs);
      this.waiting.set(id, (at) => {
        clearTimeout(timer);
        this.waiting.delete(id);
        resolve(at);
      });
    });
  }

  resetStages() {
    this.stages.clear();
  }

  stageTimes(letters: number): StageTimes {
    return Object.fromEntries(
      [...this.stages].map(([name, s]) => [name, { callsPerLetter: s.calls / letters, msPerLetter: s.ms / letters }]),
    );
  }

  private wrap(target: object, method: string, stage: string, after?: (args: unknown[]) => void) {
    const object = target as Record<string, (...args: unknown[]) => unknown>;
    // A method an older version of the stack lacks is not watched.
    if (typeof object[method] !== 'function') return;
    const original = object[method].bind(target);
    object[method] = (...args: unknown[]) => {
      const started = performance.now();
      const record = () => {
        const s = this.stages.get(stage) ?? { calls: 0, ms: 0 };
        s.calls += 1;
        s.ms += performance.now() - started;
        this.stages.set(stage, s);
      };
      const result = original(...args);
      if (!(result instanceof Promise)) {
        record();
        return result;
      }
      return result.then(
        (value) => {
          record();
          after?.(args);
          return value;
        },
        (error: unknown) => {
          record();
          throw error;
        },
      );
    };
  }
}

/**
 * The whole pipeline on the local stack, as a manager sees it: approve, then the letter is
 * rendered into S3 and emailed to its three recipients. Latency is measured one letter at a
 * time; throughput with several letters in flight.
 */
export async function pipelineRun(
  letters: BenchLetter[],
  counts: { warmup: number; sequential: number; throughput: number; concurrency: number },
  profile: boolean,
  progress: Progress,
): Promise<PipelineResult> {
  const dataDir = mkdtempSync(join(tmpdir(), 'bench-stack-'));
  const stack = await startLocalStack({ dataDir, port: 0, logLevel: 'SILENT' });
  const api = async (role: Role) => new Api(stack.url, await stack.token(role, `Bench ${role}`));
  const inspector = await api('inspector');
  const manager = await api('manager');
  const watch = new Watch(stack);
  const all: string[] = [];
  const outboxBefore = (await stack.outbox()).length;

  const submit = async (letter: BenchLetter): Promise<Submitted> => {
    const created = await inspector.call<{ id: string }>('POST', '/api/letters', letter.input);
    const submitted = await inspector.call<{ version: number }>('POST', `/api/letters/${created.id}/submit`);
    all.push(created.id);
    return { id: created.id, version: submitted.version };
  };
  // Measured from just before the approve request to the repository's write of "distributed".
  const approveAndWait = async (letter: Submitted) => {
    const done = watch.distributed(letter.id);
    const started = performance.now();
    await manager.call('POST', `/api/letters/${letter.id}/approve`, { version: letter.version });
    const approved = performance.now();
    const finished = await done;
    return { total: finished - started, approve: approved - started };
  };

  const results: Record<string, PipelineLetterResult> = {};
  try {
    const perLetter = counts.sequential + counts.throughput;
    progress.start('end to end on the local stack', counts.warmup + letters.length * perLetter * 2);
    for (let i = 0; i < counts.warmup; i++) {
      await approveAndWait(await submit(letters[i % letters.length]));
      progress.tick(2);
    }
    await stack.queue.idle();

    for (const letter of letters) {
      // Drafts are made first, so only the approvals overlap what is measured.
      const sequential: Submitted[] = [];
      for (let i = 0; i < counts.sequential; i++) {
        sequential.push(await submit(letter));
        progress.tick();
      }
      const latency: number[] = [];
      const approve: number[] = [];
      watch.resetStages();
      for (const item of sequential) {
        const t = await approveAndWait(item);
        latency.push(t.total);
        approve.push(t.approve);
        progress.tick();
      }
      await stack.queue.idle();
      const stages = watch.stageTimes(sequential.length);

      const batch: Submitted[] = [];
      for (let i = 0; i < counts.throughput; i++) {
        batch.push(await submit(letter));
        progress.tick();
      }
      const browserPid = await (stack.deps.renderer as Partial<ChromiumPdfRenderer>).browserPid?.();
      const cpuSince = stackCpuSince({ browser: browserPid, emulators: stack.emulators.pid });
      const loaded: number[] = [];
      let next = 0;
      const started = performance.now();
      const inFlight = () =>
        Promise.all(
          Array.from({ length: counts.concurrency }, async () => {
            while (next < batch.length) {
              const item = batch[next++];
              loaded.push((await approveAndWait(item)).total);
              progress.tick();
            }
          }),
        );
      const cpuProfile = profile ? (await profileMainThread(inFlight))[1] : (await inFlight(), undefined);
      const seconds = (performance.now() - started) / 1000;
      const cpu = cpuSince();
      await stack.queue.idle();

      results[letter.name] = {
        latency: summarise(latency),
        approveRequest: summarise(approve),
        stages,
        throughput: {
          letters: batch.length,
          concurrency: counts.concurrency,
          seconds,
          lettersPerSecond: batch.length / seconds,
          latency: summarise(loaded),
          cpuMsPerLetter: { node: cpu.node / batch.length, browser: cpu.browser / batch.length, emulators: cpu.emulators / batch.length },
          profile: cpuProfile,
        },
      };
    }
    const checked = await verify(stack, all, outboxBefore);
    return { letters: results, checked };
  } finally {
    await stack.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

/** Every letter measured really went all the way: distributed, its PDF in S3, three emails carrying it. */
export async function verify(stack: LocalStack, ids: string[], outboxBefore: number) {
  if (stack.queue.deadLetters.length) throw new Error(`dead letters: ${JSON.stringify(stack.queue.deadLetters).slice(0, 500)}`);
  const messages = (await stack.outbox()).slice(outboxBefore);
  const attachments = new Map<string, number>();
  for (const m of messages) for (const a of m.attachments) attachments.set(a.sha256, (attachments.get(a.sha256) ?? 0) + 1);
  const byDigest = new Map<string, number>();
  for (const id of ids) {
    const letter = await stack.deps.letters.get(id);
    if (letter?.status !== 'distributed' || !letter.pdf) throw new Error(`letter ${id} is ${letter?.status}`);
    // Sent, or already reported delivered by the local SES.
    const sent = Object.values(letter.deliveries ?? {}).filter((d) => d.state === 'sent' || d.state === 'delivered').length;
    if (sent !== 3) throw new Error(`letter ${id} has ${sent} deliveries sent, not 3`);
    const pdf = await stack.deps.archive.get(letter.pdf.key);
    if (pdf.length !== letter.pdf.bytes) throw new Error(`letter ${id}: the archived PDF is ${pdf.length} bytes, not ${letter.pdf.bytes}`);
    byDigest.set(letter.pdf.sha256, (byDigest.get(letter.pdf.sha256) ?? 0) + 3);
  }
  // Letters with the same content print to the same bytes, so attachments are counted by digest.
  for (const [digest, expected] of byDigest) {
    if (attachments.get(digest) !== expected) throw new Error(`expected ${expected} emails carrying PDF ${digest}, found ${attachments.get(digest) ?? 0}`);
  }
  if (messages.length !== ids.length * 3) throw new Error(`expected ${ids.length * 3} emails, the outbox has ${messages.length}`);
  return { letters: ids.length, messages: messages.length };
}
