// A stand-in for Lambda's Node.js runtime interface client, run as /var/runtime/invoke.mjs on
// the Node 22 binary at /var/lang/bin/node: it loads the handler named by _HANDLER from
// LAMBDA_TASK_ROOT the way the runtime does (a plain dynamic import, so stock Node's module
// resolution and nothing else), then takes invocations one per line on stdin and answers each
// on file descriptor 3. The function's own logs go to stdout and stderr, as on Lambda.
import { randomUUID } from 'node:crypto';
import { existsSync, createWriteStream } from 'node:fs';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { pathToFileURL } from 'node:url';

const answers = createWriteStream(null, { fd: 3 });
const answer = (message) => answers.write(`${JSON.stringify(message)}\n`);
const memory = () => ({ rssMb: Math.round(process.memoryUsage().rss / 2 ** 20), maxRssMb: Math.round(process.resourceUsage().maxRSS / 1024) });

const taskRoot = process.env.LAMBDA_TASK_ROOT;
const [moduleName, handlerName] = process.env._HANDLER.split('.');
const file = ['.mjs', '.js', '.cjs'].map((ext) => join(taskRoot, moduleName + ext)).find((f) => existsSync(f));

const started = performance.now();
let handler;
try {
  if (!file) throw new Error(`Cannot find module '${moduleName}' in ${taskRoot}`);
  const loaded = await import(pathToFileURL(file).href);
  handler = loaded[handlerName] ?? loaded.default?.[handlerName];
  if (typeof handler !== 'function') throw new Error(`${moduleName}.${handlerName} is not a function`);
  answer({ type: 'init', ok: true, ms: performance.now() - started, ...memory() });
} catch (error) {
  answer({ type: 'init', ok: false, ms: performance.now() - started, error: { name: error.name, message: error.message, stack: error.stack } });
  process.exit(1);
}

const deadlineMs = Number(process.env.SMOKE_TIMEOUT_SECONDS ?? '60') * 1000;
for await (const line of createInterface({ input: process.stdin })) {
  if (!line.trim()) continue;
  const { id, event } = JSON.parse(line);
  const requestId = randomUUID();
  const began = Date.now();
  const context = {
    awsRequestId: requestId,
    functionName: process.env.AWS_LAMBDA_FUNCTION_NAME,
    functionVersion: process.env.AWS_LAMBDA_FUNCTION_VERSION,
    invokedFunctionArn: `arn:aws:lambda:${process.env.AWS_REGION}:000000000000:function:${process.env.AWS_LAMBDA_FUNCTION_NAME}`,
    memoryLimitInMB: process.env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
    logGroupName: process.env.AWS_LAMBDA_LOG_GROUP_NAME,
    logStreamName: process.env.AWS_LAMBDA_LOG_STREAM_NAME,
    callbackWaitsForEmptyEventLoop: true,
    getRemainingTimeInMillis: () => Math.max(0, deadlineMs - (Date.now() - began)),
  };
  const t0 = performance.now();
  try {
    const result = await handler(event, context);
    answer({ type: 'result', id, ok: true, requestId, ms: performance.now() - t0, result: result ?? null, ...memory() });
  } catch (error) {
    answer({ type: 'result', id, ok: false, requestId, ms: performance.now() - t0, error: { name: error?.name, message: error?.message, stack: error?.stack }, ...memory() });
  }
}
answers.end();
