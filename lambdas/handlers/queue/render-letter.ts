import type { Context, SQSEvent } from 'aws-lambda';
import { loadConfig } from '../../config';
import { renderLetter } from '../../core/use-cases/render-letter';
import { buildDependencies, type Dependencies } from '../../wiring';
import { jobHandler } from './sqs-jobs';

export type RenderDependencies = Pick<
  Dependencies,
  'letters' | 'clock' | 'ids' | 'jobs' | 'archive' | 'template' | 'renderer' | 'presignExpiresSeconds' | 'logger'
>;

export function createRenderHandler(deps: RenderDependencies) {
  return jobHandler(deps.logger, (letterId) => renderLetter(deps, letterId));
}

let cached: ReturnType<typeof createRenderHandler> | undefined;

/** SQS render queue → the approved letter rendered into the archive. */
export const handler = (event: SQSEvent, context?: Context) => {
  cached ??= createRenderHandler(buildDependencies(loadConfig()));
  return cached(event, context);
};
