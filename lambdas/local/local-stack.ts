import { Logger } from '@aws-lambda-powertools/logger';
import type { SNSEvent } from 'aws-lambda';
import { randomBytes, randomUUID } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, resolve } from 'node:path';
import { z } from 'zod';
import { loadConfig } from '../config';
import type { Role } from '../core/letter';
import { ROLES } from '../core/roles';
import { CouncilInput } from '../core/council';
import { personName } from '../core/letter-schema';
import { seedCouncils } from '../core/use-cases/council-directory';
import { createApiHandler } from '../handlers/http/api';
import { createDistributeHandler } from '../handlers/queue/distribute-letter';
import { createRenderHandler } from '../handlers/queue/render-letter';
import { createSweepHandler } from '../handlers/schedule/sweep-stalled-letters';
import type { JobQueue } from '../core/ports';
import { nextJob, type SweepOutcome, UNFINISHED_STATES } from '../core/use-cases/sweep-stalled-letters';
import { buildDependencies, type Dependencies, type Overrides } from '../wiring';
import { type Emulators, startEmulators } from './emulators';
import { invokeApi, readBody } from './http-bridge';
import { InProcessQueue, type QueueOptions } from './in-process-queue';
import { LOCAL_AUDIENCE, LOCAL_ISSUER, LocalIssuer } from './local-issuer';
import { createDeliveryEventHandler } from '../handlers/events/record-delivery-event';
import type { OutboxEntry } from './local-mailbox';
import { localPages } from './local-pages';

export interface LocalStackOptions {
  dataDir: string;
  /** 0 picks a free port. */
  port: number;
  host?: string;
  queue?: Partial<QueueOptions>;
  /** Fault injection for tests: wraps the real mailer or renderer. */
  wrapMailer?: Overrides['wrapMailer'];
  wrapRenderer?: Overrides['wrapRenderer'];
  /** Fault injection for tests: wraps the queue the API and the stages send jobs to. */
  wrapJobs?: (jobs: JobQueue) => JobQueue;
  /** How often the sweeper looks for letters left between stages (EventBridge's schedule on AWS); 0 turns it off. */
  sweepIntervalMs?: number;
  /** Environment overrides, such as STALE_CLAIM_SECONDS. */
  env?: Record<string, string>;
  /** How long after the local SES accepts a message its delivery events come; LOCAL_MAIL_EVENT_DELAY_MS, else 1 second. */
  mailEventDelayMs?: number;
  logLevel?: 'DEBUG' | 'INFO' | 'WARN' | 'ERROR' | 'SILENT';
}

export type OutboxMessage = OutboxEntry;

export interface LocalStack {
  url: string;
  emulators: Emulators;
  issuer: LocalIssuer;
  queue: InProcessQueue;
  deps: Dependencies;
  token(role: Role, name: string): Promise<string>;
  outbox(): Promise<OutboxMessage[]>;
  /** Runs the sweeper once, as its timer does. */
  sweep(): Promise<SweepOutcome>;
  stop(): Promise<void>;
}

const TokenRequest = z.strictObject({ role: z.enum(ROLES as [Role, ...Role[]]), name: personName });

const TABLE_NAME = 'inspection-letters';
const BUCKET = 'inspection-letters-archive';

/**
 * The whole pipeline on one machine: emulators for DynamoDB, S3 and SES, the API handler
 * behind a plain HTTP server, and the render and distribute stages on an in-process queue.
 */
export async function startLocalStack(options: LocalStackOptions): Promise<LocalStack> {
  const dataDir = resolve(options.dataDir);
  // The Lambdas run Node 22; locally the SDK's notice about Node 20 says nothing a person can act on.
  process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= 'true';
  const logger = new Logger({ serviceName: 'inspection-letters' });
  // Events owed from before a restart may fall due before the events handler is built.
  let handleEvent: ((event: SNSEvent) => Promise<void>) | undefined;
  let eventsReady: () => void = () => undefined;
  const whenEventsReady = new Promise<void>((ok) => (eventsReady = ok));
  const emulators = await startEmulators({
    dataDir,
    bucket: BUCKET,
    tableName: TABLE_NAME,
    mailEventDelayMs: options.mailEventDelayMs ?? Number(process.env.LOCAL_MAIL_EVENT_DELAY_MS ?? 1000),
    deliver: async (event) => {
      await whenEventsReady;
      await handleEvent!(event);
    },
    log: (message, detail) => logger.warn(message, detail),
  });
  const issuer = await LocalIssuer.open(join(dataDir, 'issuer-key.json'));
  const cursorKey = localSecret(join(dataDir, 'cursor-key'));

  // The same settings a Lambda gets from its environment, pointed at the emulators.
  Object.assign(process.env, {
    AWS_REGION: 'eu-west-2',
    AWS_ACCESS_KEY_ID: 'S3RVER',
    AWS_SECRET_ACCESS_KEY: 'S3RVER',
    AWS_ENDPOINT_URL_DYNAMODB: emulators.dynamodbUrl,
    AWS_ENDPOINT_URL_S3: emulators.s3Url,
    // The local SES as the stack sees it: the emulator behind a relay that keeps the outbox and plays SES's events.
    AWS_ENDPOINT_URL_SES: emulators.sesUrl,
    AWS_REQUEST_CHECKSUM_CALCULATION: 'WHEN_REQUIRED',
    AWS_RESPONSE_CHECKSUM_VALIDATION: 'WHEN_REQUIRED',
    S3_FORCE_PATH_STYLE: 'true',
    TABLE_NAME,
    ARCHIVE_BUCKET: BUCKET,
    MAIL_FROM: process.env.MAIL_FROM ?? 'inspection-letters@ofsted.example',
    // The example letter's DfE contact, unless the environment names another.
    DFE_NAME: process.env.DFE_NAME ?? 'Andrew Spencer',
    DFE_EMAIL: process.env.DFE_EMAIL ?? 'andrew.spencer@education.example',
    AUTH_MODE: 'jwt',
    JWT_ISSUER: LOCAL_ISSUER,
    JWT_AUDIENCE: LOCAL_AUDIENCE,
    JWT_JWKS: JSON.stringify(issuer.jwks()),
    CURSOR_KEY: cursorKey,
    POWERTOOLS_LOG_LEVEL: options.logLevel ?? process.env.POWERTOOLS_LOG_LEVEL ?? 'WARN',
    ...options.env,
  });
  delete process.env.AWS_PROFILE;

  logger.setLogLevel((options.logLevel ?? process.env.POWERTOOLS_LOG_LEVEL ?? 'WARN') as never);
  const queue = new InProcessQueue({
    maxReceiveCount: 5,
    retryDelayMs: 200,
    // Two render jobs at once, as the render queue's trigger allows on AWS: the renderer prints
    // one letter at a time, and the other job's reads and writes go on meanwhile.
    concurrency: { render: 2, distribute: 4 },
    log: (message, detail) => logger.error(message, detail),
    ...options.queue,
  });
  const jobs = options.wrapJobs ? options.wrapJobs(queue) : queue;
  const deps = buildDependencies(loadConfig(), { jobs, logger, wrapMailer: options.wrapMailer, wrapRenderer: options.wrapRenderer });
  // The pages sign people in with the local issuer and show the local outbox; neither exists in a Lambda.
  const api = createApiHandler({ ...deps, extensions: [localPages({ issue: (role, name) => issuer.issue(role, name), outbox: () => outbox() })] });
  queue.register('render', createRenderHandler(deps));
  queue.register('distribute', createDistributeHandler(deps));
  handleEvent = createDeliveryEventHandler(deps);
  eventsReady();
  await resumeUnfinishedWork(deps, queue);
  const sweep = createSweepHandler(deps);
  const sweepEvery = options.sweepIntervalMs ?? 60_000;
  const sweeper =
    sweepEvery > 0
      ? setInterval(() => void sweep().catch((error) => logger.error('sweep failed', { error })), sweepEvery).unref()
      : undefined;
  await seedCouncils(deps, councilSeed());

  let ready = false;
  const outbox = (): Promise<OutboxMessage[]> => emulators.outbox();

  const sendJson = (res: ServerResponse, status: number, body: unknown, type = 'application/json') => {
    res.writeHead(status, { 'Content-Type': type, 'Cache-Control': 'no-store', 'X-Content-Type-Options': 'nosniff', 'X-Correlation-Id': randomUUID() });
    res.end(JSON.stringify(body));
  };
  const problem = (res: ServerResponse, status: number, title: string, detail: string, errors?: { field: string; message: string }[]) =>
    sendJson(res, status, { type: 'about:blank', title, status, detail, ...(errors ? { errors } : {}) }, 'application/problem+json');

  async function route(req: IncomingMessage, res: ServerResponse) {
    const path = new URL(req.url ?? '/', 'http://localhost').pathname;
    const body = await readBody(req);
    if (body === 'too-large') return problem(res, 413, 'Payload too large', 'The body is too large.', [{ field: 'body', message: 'is too large' }]);
    if (path === '/health' && !ready) return problem(res, 503, 'Starting', 'The local stack is still starting.');
    // Local-only routes: they exist in no Lambda. Only a loopback Host reaches them, so a web page a
    // developer visits cannot use them through DNS rebinding (its requests carry its own host name).
    if (path.startsWith('/dev/') && !isLoopbackHost(req.headers.host)) {
      return problem(res, 421, 'Misdirected request', 'Local-only routes answer only requests addressed to a loopback host.', [
        { field: 'Host', message: 'must be a loopback host such as 127.0.0.1 or localhost' },
      ]);
    }
    if (path === '/dev/token' && req.method === 'POST') {
      // JSON only: a cross-site form can post text/plain or form data without a preflight, never JSON.
      if (!/^application\/json\s*(;|$)/i.test(req.headers['content-type'] ?? '')) {
        return problem(res, 415, 'Unsupported media type', 'Send the body as application/json.', [{ field: 'Content-Type', message: 'must be application/json' }]);
      }
      let data: unknown;
      try {
        data = JSON.parse(body.toString('utf8'));
      } catch {
        return problem(res, 400, 'Malformed request', 'The body is not valid JSON.', [{ field: 'body', message: 'is not valid JSON' }]);
      }
      const parsed = TokenRequest.safeParse(data);
      if (!parsed.success) {
        const errors = parsed.error.issues.map((i) => ({ field: i.path.join('.') || 'body', message: i.message }));
        return problem(res, 422, 'Invalid request', 'Send {"role": "inspector" | "manager" | "reader", "name": "..."}.', errors);
      }
      return sendJson(res, 200, { token: await issuer.issue(parsed.data.role, parsed.data.name) });
    }
    if (path === '/dev/outbox' && req.method === 'GET') return sendJson(res, 200, { messages: await outbox() });
    if (path === '/dev/dead-letters' && req.method === 'GET') return sendJson(res, 200, { deadLetters: queue.deadLetters });
    return invokeApi(api, req, body, res);
  }

  const server: Server = createServer((req, res) => {
    route(req, res).catch((error) => {
      logger.error('local server failed', { error });
      if (!res.headersSent) problem(res, 500, 'Internal error', 'The local server failed; see its log.');
      else res.end();
    });
  });
  await new Promise<void>((ok, fail) => {
    server.once('error', fail);
    server.listen(options.port, options.host ?? '127.0.0.1', () => ok());
  });
  const address = server.address() as AddressInfo;
  const url = `http://${options.host && options.host !== '0.0.0.0' ? options.host : '127.0.0.1'}:${address.port}`;
  ready = true;

  return {
    url,
    emulators,
    issuer,
    queue,
    deps,
    token: (role, name) => issuer.issue(role, name),
    outbox,
    sweep: () => sweep(),
    async stop() {
      ready = false;
      clearInterval(sweeper);
      server.closeAllConnections();
      await new Promise<void>((ok) => server.close(() => ok()));
      await queue.stop();
      await deps.renderer.close();
      await emulators.stop();
      deps.clients.dynamo.destroy();
      deps.clients.s3.destroy();
      deps.clients.ses.destroy();
    },
  };
}

/** The councils a fresh local stack's directory starts with, checked as a manager's PUT would be. */
export function councilSeed(file = join(import.meta.dirname, 'council-seed.json')): CouncilInput[] {
  const { councils } = JSON.parse(readFileSync(file, 'utf8')) as { councils: unknown[] };
  return councils.map((council) => CouncilInput.parse(council));
}

const LOOPBACK_HOST = /^(127\.\d{1,3}\.\d{1,3}\.\d{1,3}|localhost|\[::1\])(:\d{1,5})?$/i;

/** Whether a request's Host header names this machine's loopback interface. */
export function isLoopbackHost(host: string | undefined): boolean {
  return host !== undefined && LOOPBACK_HOST.test(host);
}

/**
 * SQS keeps its messages across restarts; the in-process queue does not. On start, letters left
 * between stages are queued again; the stages are idempotent, so nothing is done twice.
 *
 * They are found through the date index, not the status index: dynalite writes a letter's index
 * entries before the letter itself, so a stack killed between the two can leave the status index
 * without the letter's entry, or ahead of it. The date index's key never changes, so its entry is
 * always there, with the status it had or the one it was getting; each letter's own state then
 * says which job it needs. (A lost write that was to make a letter distributed leaves its last
 * copies sending: SES's events for them, which the local SES keeps, settle the letter.)
 */
async function resumeUnfinishedWork(deps: Dependencies, queue: InProcessQueue) {
  let cursor: string | undefined;
  do {
    const page = await deps.letters.list({ statusIn: UNFINISHED_STATES, limit: 100, cursor });
    for (const letter of page.items) {
      const job = nextJob(letter);
      if (job) await queue.enqueue(job, { letterId: letter.id });
    }
    cursor = page.nextCursor;
  } while (cursor);
}

/** A random key kept with the data, so the cursors a client holds still work after a restart. */
function localSecret(file: string): string {
  if (existsSync(file)) return readFileSync(file, 'utf8').trim();
  const key = randomBytes(32).toString('base64url');
  writeFileSync(file, key, { mode: 0o600 });
  return key;
}
