// SQS for the Lambda-shaped smoke run: fauxqs (an emulator of SQS's wire protocol) on a free
// loopback port, with the two queues between the stages. It needs Node 22.5 or later, so it runs
// on the same Node 22 binary as the functions. Prints one JSON line, then serves until stdin closes.
import { startFauxqs } from 'fauxqs';

const region = process.env.AWS_REGION ?? 'eu-west-2';
const server = await startFauxqs({ port: 0, host: 'localhost', logger: false, defaultRegion: region });
const queues = {};
for (const name of ['render', 'distribute']) {
  const { queueArn } = server.createQueue(name, { region, attributes: { VisibilityTimeout: '30' } });
  // Path-style URLs on the loopback address: the SDK sends to the queue URL's host.
  queues[name] = { url: `${server.address}/000000000000/${name}`, arn: queueArn };
}
process.stdout.write(`${JSON.stringify({ address: server.address, queues })}\n`);
process.stdin.resume();
process.stdin.on('end', () => server.stop().then(() => process.exit(0)));
