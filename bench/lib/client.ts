import { marshall } from '@aws-sdk/util-dynamodb';
import { AsyncLocalStorage } from 'node:async_hooks';
import { createRequire } from 'node:module';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { SNSEvent } from 'aws-lambda';
import type { ChromiumPdfRenderer } from '../../lambdas/adapters/chromium/chromium-pdf-renderer';
import { letterTableDefinition } from '../../lambdas/adapters/dynamodb/letter-table';
import { copyTags } from '../../lambdas/adapters/ses/message-tags';
import type { JobName } from '../../lambdas/core/ports';
import { createDeliveryEventHandler } from '../../lambdas/handlers/events/record-delivery-event';
import type { QueueHandler } from '../../lambdas/local/in-process-queue';
import { type LocalStack, startLocalStack } from '../../lambdas/local/local-stack';
import type { BenchLetter } from './letters';
import { Api, verify, Watch } from './pipeline';
import { type CpuBreakdown, profileMainThread } from './profile';
import { type StackCpu, stackCpuSince } from './proc';
import type { Progress } from './progress';
import { type Summary, summarise } from './stats';

const CLIENT = fileURLToPath(new URL('../http-client.ts', import.meta.url));

/** DynamoDB's own sizing of an item, as the emulator computes the table's units (it reports none for indexes). */
const { capacityUnits } = createRequire(import.meta.url)('dynalite/db/index.js') as {
  capacityUnits(item: Record<string, unknown>, isRead: boolean, isConsistent: boolean): number;
};
const INDEXES = letterTableDefinition('letters').GlobalSecondaryIndexes ?? [];

/**
 * The write units a written item costs in the global secondary indexes it is projected into: each
 * index whose keys it has stores its projection again, billed by that projection's size. A write
 * that moves an item's index key (a status change) also deletes the old entry, not counted here.
 */
function indexWriteUnits(written: Record<string, unknown> | undefined): number {
  if (!written) return 0;
  // The meter sits where the document client's items are still plain objects.
  const item = marshall(written, { removeUndefinedValues: true, convertClassInstanceToMap: true }) as Record<string, unknown>;
  let units = 0;
  for (const index of INDEXES) {
    const keys = (index.KeySchema ?? []).map((k) => k.AttributeName!);
    if (!keys.every((k) => item[k] !== undefined)) continue;
    const projection = index.Projection ?? {};
    const projected =
      projection.ProjectionType === 'ALL'
        ? item
        : Object.fromEntries([...keys, 'pk', 'sk', ...(projection.NonKeyAttributes ?? [])].filter((k) => item[k] !== undefined).map((k) => [k, item[k]]));
    units += capacityUnits(projected, false, true);
  }
  return units;
}

/** What one letter's life costs the services it touches, measured on the local stack. */
export interface LetterUsage {
  letters: number;
  /** Invocations per letter and the median duration of one (ms), per function. */
  functions: Record<'api' | 'render' | 'distribute' | 'events', { invocations: number; medianMs: number; meanMs: number }>;
  /**
   * Capacity units per letter: the table's as DynamoDB itself reports them (ReturnConsumedCapacity),
   * and the write units of the global secondary indexes each written item is projected into.
   */
  dynamodb: { writeUnits: number; indexWriteUnits: number; readUnits: number; requests: number };
  s3: { puts: number; bytes: number };
  ses: { messages: number; attachmentBytes: number };
  /** Messages sent to the render and distribute queues; each is also received and deleted. */
  sqs: { sends: number };
  /** Calls to each service per letter, by the function that made them: `stage` → `Service.Command` → calls. */
  calls: Record<string, Record<string, number>>;
}

export interface ClientResult {
  /** One letter at a time: approve request sent → the client reads it as distributed. */
  sequential: { latency: Summary; pollMs: number; pollsPerLetter: number; notDistributed: number };
  batch: {
    letters: number;
    pollMs: number;
    seconds: number;
    /** Of the run with the median rate, as the other fields are. */
    lettersPerSecond: number;
    /** The rate of each run, in the order they ran. */
    runs: number[];
    latency: Summary;
    pollsPerLetter: number;
    /** Letters the client gave up on in any run (still not distributed after a minute); not in the latencies. */
    notDistributed: number;
    /** The stack's process (API, stages), the browser tree, the emulators' process and the client's, ms per letter. */
    cpuMsPerLetter: { node: number; browser: number; emulators: number; client: number };
  };
  /** A second batch, sampled: where the stack's main thread spent its time. */
  profile: { letters: number; cpuMsPerLetter: number; breakdown: CpuBreakdown };
  usage: LetterUsage;
  /** Jobs the stack's queue gave up on during the run. */
  deadLetters: number;
  /** Every letter the client waited for, checked after the runs: distributed, PDF in S3, three emails carrying it. */
  checked: { letters: number; messages: number };
}

interface ClientEvent {
  event: 'phase' | 'result';
  phase?: string;
  state?: 'start' | 'end';
  /** The client process's own CPU so far, ms. */
  cpuMs?: number;
  sequential?: number[];
  sequentialPolls?: number;
  batches?: { label: string; letters: number; seconds: number; latencies: number[]; polls: number; ids: string[] }[];
  ids?: string[];
}

/** Runs the client process with a plan, calling `onPhase` as it starts and ends each batch. */
function runClient(plan: object, onPhase: (phase: string, state: 'start' | 'end', clientCpuMs: number) => void): Promise<ClientEvent> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', CLIENT], {
      env: { ...process.env, NODE_NO_WARNINGS: '1' },
      stdio: ['pipe', 'pipe', 'pipe'],
    });
    let buffered = '';
    let err = '';
    let result: ClientEvent | undefined;
    child.stdout.on('data', (chunk) => {
      buffered += chunk;
      let newline: number;
      while ((newline = buffered.indexOf('\n')) >= 0) {
        const line = JSON.parse(buffered.slice(0, newline)) as ClientEvent;
        buffered = buffered.slice(newline + 1);
        if (line.event === 'phase') onPhase(line.phase!, line.state!, line.cpuMs ?? Number.NaN);
        else result = line;
      }
    });
    child.stderr.on('data', (chunk) => (err = (err + chunk).slice(-4000)));
    child.on('error', reject);
    child.on('close', (code) => (code === 0 && result ? resolve(result) : reject(new Error(`bench client exited ${code}: ${err}`))));
    child.stdin.end(JSON.stringify(plan));
  });
}

/**
 * The function a call to a service is made from: the API unless a stage or the events handler is
 * running; `bench` is the benchmark's own reading, left out of the counts.
 */
type Stage = 'api' | 'render' | 'distribute' | 'events' | 'bench';

/** Counts what the stack asks of each service; reset between phases. */
class Meter {
  dynamo = { writeUnits: 0, indexWriteUnits: 0, readUnits: 0, requests: 0 };
  s3 = { puts: 0, bytes: 0 };
  ses = { messages: 0, attachmentBytes: 0 };
  sqs = { sends: 0 };
  durations: Record<'render' | 'distribute', number[]> = { render: [], distribute: [] };
  calls: Record<string, Record<string, number>> = {};
  /** Counts DynamoDB's capacity units only when on. */
  metering = false;
  /** How long the events function took over each mail event it applied (or found stale). */
  eventMs: number[] = [];
  private readonly stage = new AsyncLocalStorage<Stage>();

  /** Runs `work` as the given function: the service calls it makes are counted under it. */
  as<T>(stage: Stage, work: () => Promise<T>): Promise<T> {
    return this.stage.run(stage, work);
  }

  constructor(stack: LocalStack) {
    // Every call the stack's AWS clients make, by the function making it.
    for (const [service, client] of [
      ['DynamoDB', stack.deps.clients.dynamo],
      ['S3', stack.deps.clients.s3],
      ['SES', stack.deps.clients.ses],
    ] as const) {
      (client.middlewareStack as { add: (m: unknown, o: unknown) => void }).add(
        (next: (args: unknown) => Promise<unknown>, context: { commandName?: string }) => async (args: unknown) => {
          const stage = this.stage.getStore() ?? 'api';
          if (stage === 'bench') return next(args);
          const command = `${service}.${(context.commandName ?? 'unknown').replace(/Command$/, '')}`;
          const counts = (this.calls[stage] ??= {});
          counts[command] = (counts[command] ?? 0) + 1;
          return next(args);
        },
        { step: 'initialize', name: `benchCalls${service}` },
      );
    }
    // DynamoDB reports the capacity each request consumed when asked to.
    stack.deps.clients.dynamo.middlewareStack.add(
      (next, context) => async (args) => {
        // Only while usage is measured: asking for it is work of its own for the emulator.
        if (!this.metering || this.stage.getStore() === 'bench') return next(args);
        (args.input as Record<string, unknown>).ReturnConsumedCapacity ??= 'TOTAL';
        const result = await next(args);
        this.dynamo.requests += 1;
        const command = context.commandName ?? '';
        if (command.startsWith('UpdateItem')) this.dynamo.indexWriteUnits += indexWriteUnits((result.output as { Attributes?: Record<string, unknown> }).Attributes);
        else if (command.startsWith('PutItem')) this.dynamo.indexWriteUnits += indexWriteUnits((args.input as { Item?: Record<string, unknown> }).Item);
        const reading = /^(Get|BatchGet|Query|Scan|TransactGet)/.test(context.commandName ?? '');
        const consumed = (result.output as { ConsumedCapacity?: unknown }).ConsumedCapacity;
        for (const c of [consumed].flat() as ({ CapacityUnits?: number; ReadCapacityUnits?: number; WriteCapacityUnits?: number } | undefined)[]) {
          if (!c) continue;
          if (c.ReadCapacityUnits !== undefined || c.WriteCapacityUnits !== undefined) {
            this.dynamo.readUnits += c.ReadCapacityUnits ?? 0;
            this.dynamo.writeUnits += c.WriteCapacityUnits ?? 0;
          } else if (reading) this.dynamo.readUnits += c.CapacityUnits ?? 0;
          else this.dynamo.writeUnits += c.CapacityUnits ?? 0;
        }
        return result;
      },
      { step: 'initialize', name: 'benchConsumedCapacity' },
    );
    const archive = stack.deps.archive as unknown as { put: (key: string, body: Uint8Array, ...rest: unknown[]) => Promise<unknown> };
    const put = archive.put.bind(archive);
    archive.put = (key, body, ...rest) => {
      this.s3.puts += 1;
      this.s3.bytes += body.length;
      return put(key, body, ...rest);
    };
    const send = stack.deps.mailer.send.bind(stack.deps.mailer);
    stack.deps.mailer.send = (email) => {
      this.ses.messages += 1;
      this.ses.attachmentBytes += email.attachment?.content.length ?? 0;
      return send(email);
    };
    const enqueue = stack.queue.enqueue.bind(stack.queue);
    stack.queue.enqueue = (job, body) => {
      this.sqs.sends += 1;
      return enqueue(job, body);
    };
    // Each handler call is one Lambda invocation of the render or distribute function.
    const handlers = (stack.queue as unknown as { handlers: Map<JobName, QueueHandler> }).handlers;
    for (const job of ['render', 'distribute'] as const) {
      const handler = handlers.get(job)!;
      handlers.set(job, async (event) => {
        const started = performance.now();
        try {
          return await this.as(job, () => handler(event));
        } finally {
          this.durations[job].push(performance.now() - started);
        }
      });
    }
    // The events function's write: the local SES's own events reach the handler from a timer, outside any stage.
    const letters = stack.deps.letters;
    const applyDeliveryEvent = letters.applyDeliveryEvent.bind(letters);
    letters.applyDeliveryEvent = async (...args) => {
      const started = performance.now();
      try {
        return await this.as('events', () => applyDeliveryEvent(...args));
      } finally {
        this.eventMs.push(performance.now() - started);
      }
    };
  }

  reset() {
    this.dynamo = { writeUnits: 0, indexWriteUnits: 0, readUnits: 0, requests: 0 };
    this.s3 = { puts: 0, bytes: 0 };
    this.ses = { messages: 0, attachmentBytes: 0 };
    this.sqs = { sends: 0 };
    this.durations = { render: [], distribute: [] };
    this.calls = {};
    this.eventMs = [];
  }
}

const perLetter = <T extends Record<string, number>>(counts: T, letters: number) =>
  Object.fromEntries(Object.entries(counts).map(([k, v]) => [k, v / letters])) as T;

function invocations(samples: number[], letters: number) {
  const s = summarise(samples);
  return { invocations: samples.length / letters, medianMs: s.median, meanMs: s.mean };
}

/**
 * The usage of one letter's life, unhurried and without polling: drafted and approved over HTTP,
 * rendered, emailed to three recipients, and each message's Send and Delivery events recorded by
 * the events function as SES would report them through SNS.
 */
async function measureUsage(stack: LocalStack, meter: Meter, letter: BenchLetter, count: number): Promise<LetterUsage> {
  const inspector = new Api(stack.url, await stack.token('inspector', 'Bench inspector'));
  const manager = new Api(stack.url, await stack.token('manager', 'Bench manager'));
  const watch = new Watch(stack);
  const api: number[] = [];
  const timedCall = async <T>(client: Api, method: string, path: string, body?: unknown) => {
    const started = performance.now();
    const value = await client.call<T>(method, path, body);
    api.push(performance.now() - started);
    return value;
  };
  await stack.queue.idle();
  // The local SES's events about earlier phases' messages (a second after each send) land first.
  const settleBy = Date.now() + 30_000;
  while ((await stack.outbox()).some((m) => !m.event) && Date.now() < settleBy) await new Promise((resolve) => setTimeout(resolve, 100));
  meter.reset();
  meter.metering = true;
  const events = createDeliveryEventHandler({ letters: stack.deps.letters, clock: stack.deps.clock, logger: stack.deps.logger });
  const eventMs: number[] = [];
  const ids = new Set<string>();
  for (let i = 0; i < count; i++) {
    const created = await timedCall<{ id: string }>(inspector, 'POST', '/api/letters', letter.input);
    const submitted = await timedCall<{ version: number }>(inspector, 'POST', `/api/letters/${created.id}/submit`);
    const done = watch.distributed(created.id);
    await timedCall(manager, 'POST', `/api/letters/${created.id}/approve`, { version: submitted.version });
    await done;
    await stack.queue.idle();
    ids.add(created.id);
    // SES reports each message's Send at once and its Delivery later (the local SES does the
    // latter, a second after sending): the Send events go to the events function here.
    const stored = await meter.as('bench', () => stack.deps.letters.get(created.id));
    for (const delivery of Object.values(stored?.deliveries ?? {})) {
      // SES echoes the message's tags in each event: they name the copy the event is about.
      const tags = Object.fromEntries(copyTags({ letterId: created.id, role: delivery.role, kind: 'letter', claim: delivery.claim ?? '' }).map((t) => [t.Name, [t.Value]]));
      const at = delivery.updatedAt;
      const message = { eventType: 'Send', mail: { messageId: delivery.messageId, timestamp: at, tags }, send: {} };
      const event = { Records: [{ Sns: { Message: JSON.stringify(message), MessageId: 'bench-send', Timestamp: at } }] } as unknown as SNSEvent;
      const started = performance.now();
      await meter.as('events', () => events(event));
      eventMs.push(performance.now() - started);
    }
  }
  // Every message's Delivery event, from the local SES.
  const deadline = Date.now() + 30_000;
  const delivered = async () =>
    (await stack.outbox()).filter((m) => ids.has(m.tags?.['letter-id'] ?? '') && m.event?.type === 'Delivery').length;
  while ((await delivered()) < ids.size * 3 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 100));
  meter.metering = false;
  return {
    letters: count,
    functions: {
      api: invocations(api, count),
      render: invocations(meter.durations.render, count),
      distribute: invocations(meter.durations.distribute, count),
      events: invocations([...eventMs, ...meter.eventMs], count),
    },
    dynamodb: perLetter(meter.dynamo, count),
    s3: perLetter(meter.s3, count),
    ses: perLetter(meter.ses, count),
    sqs: perLetter(meter.sqs, count),
    calls: Object.fromEntries(Object.entries(meter.calls).map(([stage, counts]) => [stage, perLetter(counts, count)])),
  };
}

/**
 * The pipeline as a client sees it, over HTTP from another process, polling as a manager: one
 * letter at a time, then a batch approved at once; the stack's CPU measured meanwhile; then a
 * sampled batch, and the usage that prices a letter.
 */
export async function clientRun(
  letter: BenchLetter,
  counts: { warmup: number; sequential: number; sequentialPollMs: number; batch: number; batchRuns: number; batchPollMs: number; usageLetters: number },
  progress: Progress,
): Promise<ClientResult> {
  const dataDir = mkdtempSync(join(tmpdir(), 'bench-client-'));
  const stack = await startLocalStack({ dataDir, port: 0, logLevel: 'SILENT' });
  try {
    progress.start('a client over HTTP, polling as a manager', 4);
    const plan = (sequential: number, batches: { letters: number; pollMs: number; label: string }[]) => ({
      url: stack.url,
      tokens: { inspector: '', manager: '' },
      input: letter.input,
      sequential: { letters: sequential, pollMs: counts.sequentialPollMs },
      batches,
    });
    const tokens = { inspector: await stack.token('inspector', 'Bench inspector'), manager: await stack.token('manager', 'Bench manager') };
    // Warm-up: Chromium launched, first letters through every stage, then one untimed batch: the
    // first batch after a start runs slower than the ones after it, as the processes' hot code
    // is compiled, and the timed runs measure the steady state.
    await runClient({ ...plan(counts.warmup, [{ letters: counts.batch, pollMs: counts.batchPollMs, label: 'warm-up' }]), tokens }, () => undefined);
    await stack.queue.idle();
    // Their mail events (a second after each send) land before anything is timed.
    const settled = Date.now() + 30_000;
    while ((await stack.outbox()).some((m) => !m.event) && Date.now() < settled) await new Promise((resolve) => setTimeout(resolve, 100));
    const outboxBefore = (await stack.outbox()).length;
    progress.tick();

    const browserPid = await (stack.deps.renderer as Partial<ChromiumPdfRenderer>).browserPid?.();
    // The batch runs several times, one after another: the host's own load moves a single run's
    // numbers, and the median of several moves less.
    const labels = Array.from({ length: counts.batchRuns }, (_, i) => `batch ${i + 1}`);
    const started = new Map<string, { stack: () => StackCpu; client: number }>();
    const used = new Map<string, StackCpu & { client: number }>();
    const batches = labels.map((label) => ({ letters: counts.batch, pollMs: counts.batchPollMs, label }));
    const measured = await runClient({ ...plan(counts.sequential, batches), tokens }, (phase, state, clientCpuMs) => {
      if (state === 'start') {
        started.set(phase, { stack: stackCpuSince({ browser: browserPid, emulators: stack.emulators.pid }), client: clientCpuMs });
        return;
      }
      const since = started.get(phase)!;
      used.set(phase, { ...since.stack(), client: clientCpuMs - since.client });
    });
    await stack.queue.idle();
    progress.tick();

    // Sampled separately, so the profiler's own cost stays out of the numbers above.
    let profiling: Promise<[void, CpuBreakdown]> | undefined;
    let stopProfile: () => void = () => undefined;
    const profiledBatchEnded = new Promise<void>((resolve) => (stopProfile = resolve));
    let profileCpu0 = process.cpuUsage();
    let profileCpuMs = Number.NaN;
    const profiled = await runClient({ ...plan(0, [{ letters: counts.batch, pollMs: counts.batchPollMs, label: 'profiled' }]), tokens }, (_, state) => {
      if (state === 'start') {
        profileCpu0 = process.cpuUsage();
        profiling = profileMainThread(() => profiledBatchEnded);
      } else {
        const c = process.cpuUsage(profileCpu0);
        profileCpuMs = (c.user + c.system) / 1000;
        stopProfile();
      }
    });
    const [, breakdown] = await profiling!;
    await stack.queue.idle();
    progress.tick();

    // Every letter the client saw as distributed really went all the way.
    const checked = await verify(stack, [...measured.ids!, ...measured.batches!.flatMap((b) => b.ids), ...profiled.batches![0].ids], outboxBefore);
    // Metered only now: its wrappers (an AsyncLocalStorage, which hooks every promise in the
    // process) would otherwise be charged to the stack in the batches above.
    const usage = await measureUsage(stack, new Meter(stack), letter, counts.usageLetters);
    progress.tick();

    const done = (samples: number[]) => samples.filter((x) => Number.isFinite(x));
    const sequential = done(measured.sequential!);
    const runs = measured.batches!.map((b) => ({ ...b, done: done(b.latencies), cpu: used.get(b.label)! }));
    // The run with the median rate stands for the batch; the others' rates are listed beside it.
    const byRate = [...runs].sort((a, b) => a.done.length / a.seconds - b.done.length / b.seconds);
    const batch = byRate[Math.floor((byRate.length - 1) / 2)];
    return {
      sequential: {
        latency: summarise(sequential),
        pollMs: counts.sequentialPollMs,
        pollsPerLetter: measured.sequentialPolls! / counts.sequential,
        notDistributed: counts.sequential - sequential.length,
      },
      batch: {
        letters: batch.letters,
        pollMs: counts.batchPollMs,
        seconds: batch.seconds,
        lettersPerSecond: batch.done.length / batch.seconds,
        runs: runs.map((r) => r.done.length / r.seconds),
        latency: summarise(batch.done),
        pollsPerLetter: batch.polls / batch.letters,
        notDistributed: runs.reduce((n, r) => n + r.letters - r.done.length, 0),
        cpuMsPerLetter: {
          node: batch.cpu.node / batch.letters,
          browser: batch.cpu.browser / batch.letters,
          emulators: batch.cpu.emulators / batch.letters,
          client: batch.cpu.client / batch.letters,
        },
      },
      profile: { letters: counts.batch, cpuMsPerLetter: profileCpuMs / counts.batch, breakdown },
      usage,
      deadLetters: stack.queue.deadLetters.length,
      checked,
    };
  } finally {
    await stack.stop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}
