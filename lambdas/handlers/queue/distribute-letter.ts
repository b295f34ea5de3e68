import type { Context, SQSEvent } from 'aws-lambda';
import { loadConfig, required } from '../../config';
import { distributeLetter } from '../../core/use-cases/distribute-letter';
import { buildDependencies, type Dependencies } from '../../wiring';
import { jobHandler, receiveCount } from './sqs-jobs';

export type DistributeDependencies = Pick<
  Dependencies,
  'letters' | 'clock' | 'ids' | 'jobs' | 'archive' | 'mailer' | 'mailFrom' | 'staleClaimSeconds' | 'maxReceiveCount' | 'logger'
>;

export function createDistributeHandler(deps: DistributeDependencies) {
  return jobHandler(deps.logger, (letterId, record) =>
    // On the last receive, a recipient still throttled is marked failed rather than left pending.
    distributeLetter(deps, letterId, { finalAttempt: receiveCount(record) >= deps.maxReceiveCount }),
  );
}

let cached: ReturnType<typeof createDistributeHandler> | undefined;

/** SQS distribute queue → one SES message per statutory recipient. */
export const handler = (event: SQSEvent, context?: Context) => {
  if (!cached) {
    const config = loadConfig();
    required(config, 'MAIL_FROM');
    cached = createDistributeHandler(buildDependencies(config));
  }
  return cached(event, context);
};
