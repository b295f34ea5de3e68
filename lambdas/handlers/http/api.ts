import type { Logger } from '@aws-lambda-powertools/logger';
import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2, Context } from 'aws-lambda';
import { handle } from 'hono/aws-lambda';
import { type Config, loadConfig } from '../../config';
import type { PdfRenderer } from '../../core/ports';
import { archiveStore, s3Client } from '../../wiring/archive';
import { authenticator } from '../../wiring/auth';
import { sqsClient, sqsJobQueue } from '../../wiring/jobs';
import { lambdaHandler } from '../../wiring/lambda';
import { councilDirectory, dfeRecipient } from '../../wiring/councils';
import { dynamoClients, letterStore } from '../../wiring/letters';
import { letterTemplate } from '../../wiring/template';
import { type AppDependencies, createApp } from './app';

export type ApiHandler = (event: APIGatewayProxyEventV2, context: Context) => Promise<APIGatewayProxyResultV2>;

export function createApiHandler(deps: AppDependencies): ApiHandler {
  return handle(createApp(deps)) as unknown as ApiHandler;
}

/**
 * On AWS, DRAFT PDFs have a function of their own (preview-letter-pdf.ts) with Chromium in a
 * layer, and API Gateway routes both preview.pdf paths there; this function carries no
 * browser, so a JSON request never pays for one.
 */
const previewsElsewhere: PdfRenderer = {
  fingerprint: () => Promise.reject(new Error('the api function has no renderer: DRAFT PDFs are printed by the preview function')),
  render: () => Promise.reject(new Error('the api function has no renderer: DRAFT PDFs are printed by the preview function')),
  close: async () => undefined,
};

/** What the api function builds at cold start: no renderer, no mailer. */
export function apiDependencies(config: Config, logger: Logger, renderer: PdfRenderer = previewsElsewhere): AppDependencies {
  const { documents } = dynamoClients();
  return {
    config,
    ...letterStore(documents, config, logger),
    councils: councilDirectory(documents, config),
    // Letters are drafted and approved here: without the DfE address the function does not start.
    dfe: dfeRecipient(config),
    jobs: sqsJobQueue(sqsClient(), config),
    archive: archiveStore(s3Client(config), config),
    template: letterTemplate(config),
    renderer,
    presignExpiresSeconds: config.PRESIGN_EXPIRES_SECONDS,
    authenticator: authenticator(config),
    logger,
  };
}

/** API Gateway HTTP API (payload 2.0) entry point. */
export const handler = lambdaHandler((logger) => apiDependencies(loadConfig(), logger), createApiHandler);
