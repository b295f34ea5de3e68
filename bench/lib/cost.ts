import type { LetterUsage } from './client';

/**
 * AWS prices for EU (London), eu-west-2, on-demand, free tiers left out, in US dollars, first
 * written from AWS's public pricing pages on 2025-06-01 (DynamoDB after its 1 November 2024 cut
 * to on-demand throughput). Checked again on 2026-12-01 (`checked`), each against what could be
 * read that day; `sources` says what, per service. The pricing pages fill their regional tables
 * in the browser, so a stored copy of a page shows the structure and the US East figures but not
 * London's: where only that could be read, the figure stays as written and says so.
 */
export const PRICES = {
  region: 'eu-west-2',
  asOf: '2025-06-01',
  checked: '2026-12-01',
  sources: {
    lambda:
      'aws.amazon.com/lambda/pricing: $0.20 per million requests; $0.0000166667 (x86) and $0.0000133334 (Arm) per GB-second in the first tier. ' +
      "London is not among the regions priced apart from that base in artillery's Lambda price table (unpkg artillery@2.0.28, lib/platform/aws-lambda/prices.js). Confirmed.",
    ses:
      'aws.amazon.com/ses/pricing (a la carte): $0.10 per 1,000 outbound messages, $0.12 per GB of attachments; the same in every region. ' +
      'Since 2026-07-21 SES also sells pricing plans (Essentials, Pro, Enterprise; SES API v2 PutAccountPricingAttributes); an account on none pays a la carte. Confirmed for a la carte.',
    dynamodb: 'aws.amazon.com/dynamodb/pricing/on-demand: units and billing read (request units, 1 KB writes, 4 KB strong reads); London figures not readable from the stored page: unverified.',
    s3: 'aws.amazon.com/s3/pricing: London figures not readable from the stored page: unverified.',
    sqs: 'aws.amazon.com/sqs/pricing: London figure not readable from the stored page: unverified.',
    sns: 'aws.amazon.com/sns/pricing: London figure not readable from the stored page: unverified.',
    apiGateway: 'aws.amazon.com/api-gateway/pricing: London figure not readable from the stored page: unverified.',
  },
  lambda: {
    requestPerMillion: 0.2,
    gbSecond: { x86_64: 0.0000166667, arm64: 0.0000133334 },
  },
  apiGatewayHttpPerMillion: 1.11,
  ses: { per1000Messages: 0.1, attachmentPerGb: 0.12 },
  s3: { putPer1000: 0.0053, storageGbMonth: 0.024 },
  dynamodb: { writeUnitPerMillion: 0.7423, readUnitPerMillion: 0.1485 },
  sqsPerMillionRequests: 0.4,
  snsPerMillionPublishes: 0.5,
} as const;

/** Memory and architecture of each function, as cdk/stacks/stateless-stack.ts deploys them. */
export const FUNCTIONS = {
  api: { memoryMb: 2048, architecture: 'x86_64' },
  render: { memoryMb: 2048, architecture: 'x86_64' },
  distribute: { memoryMb: 512, architecture: 'arm64' },
  events: { memoryMb: 256, architecture: 'arm64' },
} as const;

export interface CostLine {
  item: string;
  /** What is counted per letter, in words. */
  basis: string;
  perThousandLetters: number;
}

const GB = 2 ** 30;

/**
 * Dollars per 1,000 letters, from what one letter's life was measured to use: each function's
 * invocations and median duration (billed per ms, rounded up) at its memory; one API Gateway
 * request per API invocation; SES messages and attachment bytes; S3 puts and a month of storage;
 * DynamoDB capacity units as DynamoDB counted them; SQS send, receive and delete per job; one SNS
 * publish per SES event. Durations are this machine's; Lambda's CPUs differ.
 */
export function costPerThousand(usage: LetterUsage): { lines: CostLine[]; total: number } {
  const k = 1000;
  const lines: CostLine[] = [];
  for (const [name, f] of Object.entries(usage.functions) as [keyof typeof FUNCTIONS, LetterUsage['functions']['api']][]) {
    const spec = FUNCTIONS[name];
    const billedSeconds = Math.ceil(f.medianMs) / 1000;
    const gbSeconds = f.invocations * billedSeconds * (spec.memoryMb / 1024);
    lines.push({
      item: `Lambda ${name} (${spec.memoryMb} MB, ${spec.architecture})`,
      basis: `${f.invocations.toFixed(0)} × ${Math.ceil(f.medianMs)} ms`,
      perThousandLetters: k * (gbSeconds * PRICES.lambda.gbSecond[spec.architecture] + (f.invocations * PRICES.lambda.requestPerMillion) / 1e6),
    });
  }
  lines.push({
    item: 'API Gateway HTTP API',
    basis: `${usage.functions.api.invocations.toFixed(0)} requests`,
    perThousandLetters: (k * usage.functions.api.invocations * PRICES.apiGatewayHttpPerMillion) / 1e6,
  });
  lines.push({
    item: 'SES',
    basis: `${usage.ses.messages.toFixed(0)} messages, ${(usage.ses.attachmentBytes / 1024).toFixed(0)} KiB attached`,
    perThousandLetters: k * ((usage.ses.messages * PRICES.ses.per1000Messages) / 1000 + (usage.ses.attachmentBytes / GB) * PRICES.ses.attachmentPerGb),
  });
  lines.push({
    item: 'S3 (puts, and one month of storage)',
    basis: `${usage.s3.puts.toFixed(0)} puts, ${(usage.s3.bytes / 1024).toFixed(0)} KiB`,
    perThousandLetters: k * ((usage.s3.puts * PRICES.s3.putPer1000) / 1000 + (usage.s3.bytes / GB) * PRICES.s3.storageGbMonth),
  });
  lines.push({
    item: 'DynamoDB on demand',
    basis: `${usage.dynamodb.writeUnits.toFixed(0)} write units to the table and ${usage.dynamodb.indexWriteUnits.toFixed(0)} to its indexes, ${usage.dynamodb.readUnits.toFixed(1)} read units`,
    perThousandLetters:
      (k *
        ((usage.dynamodb.writeUnits + usage.dynamodb.indexWriteUnits) * PRICES.dynamodb.writeUnitPerMillion +
          usage.dynamodb.readUnits * PRICES.dynamodb.readUnitPerMillion)) /
      1e6,
  });
  lines.push({
    item: 'SQS',
    basis: `${usage.sqs.sends.toFixed(0)} jobs × send, receive, delete`,
    perThousandLetters: (k * usage.sqs.sends * 3 * PRICES.sqsPerMillionRequests) / 1e6,
  });
  lines.push({
    item: 'SNS (SES events)',
    basis: `${usage.functions.events.invocations.toFixed(0)} publishes`,
    perThousandLetters: (k * usage.functions.events.invocations * PRICES.snsPerMillionPublishes) / 1e6,
  });
  return { lines, total: lines.reduce((sum, l) => sum + l.perThousandLetters, 0) };
}
