import { startLocalStack } from './local-stack';

/** `npm start`: the whole pipeline on this machine. */
const port = Number(process.env.PORT ?? 3000);
const dataDir = process.env.DATA_DIR ?? '.data';

const stack = await startLocalStack({ dataDir, port, logLevel: (process.env.POWERTOOLS_LOG_LEVEL as 'INFO') ?? 'INFO' });

console.log(`Inspection letters is running on this machine (data in ${dataDir}/).

  Web forms      ${stack.url}/
  API            ${stack.url}/api/letters   (browse it: ${stack.url}/api/docs; OpenAPI: ${stack.url}/api/openapi.json)
  Health         ${stack.url}/health
  Local tokens   POST ${stack.url}/dev/token  {"role": "inspector" | "manager" | "reader", "name": "..."}
  Outbox         ${stack.url}/dev/outbox.html  (emails the local SES received; JSON at /dev/outbox)

Press Ctrl-C to stop.`);

let stopping = false;
async function shutdown(signal: string) {
  if (stopping) return;
  stopping = true;
  console.log(`\n${signal}: stopping…`);
  const force = setTimeout(() => process.exit(1), 10_000);
  force.unref();
  await stack.stop();
  process.exit(0);
}
process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('SIGTERM', () => void shutdown('SIGTERM'));
