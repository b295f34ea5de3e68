import { loadConfig } from '../../config';
import { renderLetter } from '../../core/use-cases/render-letter';
import type { Dependencies } from '../../wiring';
import { archiveStore, s3Client } from '../../wiring/archive';
import { withRetryBackoff } from '../../wiring/backoff';
import { sqsClient, sqsJobQueue } from '../../wiring/jobs';
import { lambdaHandler } from '../../wiring/lambda';
import { dynamoClients, letterStore } from '../../wiring/letters';
import { chromiumRenderer } from '../../wiring/renderer';
import { letterTemplate } from '../../wiring/template';
import { jobHandler } from './sqs-jobs';

export type RenderDependencies = Pick<
  Dependencies,
  'letters' | 'clock' | 'ids' | 'jobs' | 'archive' | 'template' | 'renderer' | 'presignExpiresSeconds' | 'logger'
>;

export function createRenderHandler(deps: RenderDependencies) {
  return jobHandler(deps.logger, (letterId) => renderLetter(deps, letterId));
}

/** SQS render queue → the approved letter rendered into the archive. */
export const handler = lambdaHandler((logger) => {
  const config = loadConfig();
  const sqs = sqsClient();
  const deps: RenderDependencies = {
    ...letterStore(dynamoClients().documents, config, logger),
    jobs: sqsJobQueue(sqs, config),
    archive: archiveStore(s3Client(config), config),
    template: letterTemplate(config),
    renderer: chromiumRenderer(config, logger),
    presignExpiresSeconds: config.PRESIGN_EXPIRES_SECONDS,
    logger,
  };
  return { deps, sqs, queueUrl: config.SOURCE_QUEUE_URL };
}, ({ deps, sqs, queueUrl }) => withRetryBackoff(createRenderHandler(deps), sqs, deps.logger, { queueUrl }));
