import type { Logger } from '@aws-lambda-powertools/logger';
import type { ScheduledEvent } from 'aws-lambda';
import { loadConfig } from '../../config';
import { type SweepContext, type SweepOutcome, sweepStalledLetters } from '../../core/use-cases/sweep-stalled-letters';
import { sqsClient, sqsJobQueue } from '../../wiring/jobs';
import { lambdaHandler } from '../../wiring/lambda';
import { dynamoClients, letterStore } from '../../wiring/letters';

export type SweepDependencies = SweepContext & { logger: Logger; sweepAfterSeconds: number };

export function createSweepHandler(deps: SweepDependencies) {
  return async (_event?: ScheduledEvent): Promise<SweepOutcome> => {
    const outcome = await sweepStalledLetters(deps, { olderThanSeconds: deps.sweepAfterSeconds });
    const queued = outcome.render.length + outcome.distribute.length;
    // A letter found here had its queue message lost or never sent: worth a warning each time.
    if (queued > 0) deps.logger.warn('queued stalled letters again', { ...outcome });
    else deps.logger.info('no stalled letters');
    return outcome;
  };
}

/** EventBridge schedule → letters left approved or rendered are queued again. */
export const handler = lambdaHandler((logger): SweepDependencies => {
  const config = loadConfig();
  const { letters, clock } = letterStore(dynamoClients().documents, config, logger);
  return { letters, clock, jobs: sqsJobQueue(sqsClient(), config), logger, sweepAfterSeconds: config.SWEEP_AFTER_SECONDS };
}, createSweepHandler);
