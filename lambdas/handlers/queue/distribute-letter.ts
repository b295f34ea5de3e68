import { loadConfig, required } from '../../config';
import { distributeLetter } from '../../core/use-cases/distribute-letter';
import type { Dependencies } from '../../wiring';
import { archiveStore, s3Client } from '../../wiring/archive';
import { withRetryBackoff } from '../../wiring/backoff';
import { sqsClient, sqsJobQueue } from '../../wiring/jobs';
import { lambdaHandler } from '../../wiring/lambda';
import { dynamoClients, letterStore } from '../../wiring/letters';
import { sesClient, sesMailer } from '../../wiring/mailer';
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

/** SQS distribute queue → one SES message per statutory recipient. */
export const handler = lambdaHandler((logger) => {
  const config = loadConfig();
  const sqs = sqsClient();
  const deps: DistributeDependencies = {
    ...letterStore(dynamoClients().documents, config, logger),
    jobs: sqsJobQueue(sqs, config),
    archive: archiveStore(s3Client(config), config),
    mailer: sesMailer(sesClient(), config),
    mailFrom: required(config, 'MAIL_FROM'),
    staleClaimSeconds: config.STALE_CLAIM_SECONDS,
    maxReceiveCount: config.MAX_RECEIVE_COUNT,
    logger,
  };
  return { deps, sqs, queueUrl: config.SOURCE_QUEUE_URL };
}, ({ deps, sqs, queueUrl }) => withRetryBackoff(createDistributeHandler(deps), sqs, deps.logger, { queueUrl }));
