import type { Logger } from '@aws-lambda-powertools/logger';
import type { Config } from './config';
import type { JobQueue, Mailer, PdfRenderer } from './core/ports';
import { archiveStore, s3Client } from './wiring/archive';
import { authenticator } from './wiring/auth';
import { sqsClient, sqsJobQueue } from './wiring/jobs';
import { createLogger } from './wiring/lambda';
import { dynamoClients, letterStore } from './wiring/letters';
import { sesClient, sesMailer } from './wiring/mailer';
import { chromiumRenderer } from './wiring/renderer';
import { letterTemplate } from './wiring/template';
import { councilDirectory, dfeRecipient } from './wiring/councils';

/** Every AWS client, for the local stack, which runs all the stages in one process. */
export function awsClients(config: Config) {
  return { ...dynamoClients(), s3: s3Client(config), ses: sesClient(), sqs: sqsClient() };
}

export interface Overrides {
  /** The local stack's in-process queue stands in for SQS between the stages. */
  jobs?: JobQueue;
  clients?: ReturnType<typeof awsClients>;
  logger?: Logger;
  /** Tests wrap the real mailer or renderer to inject faults no real part can produce. */
  wrapMailer?: (mailer: Mailer) => Mailer;
  wrapRenderer?: (renderer: PdfRenderer) => PdfRenderer;
}

/**
 * Everything any handler needs, built once and passed in: the local stack runs every stage in
 * one process. Each Lambda function builds only its own part, from the modules in wiring/, so
 * its bundle holds nothing it does not use (see each handler's entry point).
 */
export function buildDependencies(config: Config, overrides: Overrides = {}) {
  const clients = overrides.clients ?? awsClients(config);
  const logger = overrides.logger ?? createLogger();
  const chromium = chromiumRenderer(config, logger);
  const ses = sesMailer(clients.ses, config);
  return {
    config,
    clients,
    ...letterStore(clients.documents, config, logger),
    jobs: overrides.jobs ?? sqsJobQueue(clients.sqs, config),
    archive: archiveStore(clients.s3, config),
    councils: councilDirectory(clients.documents, config),
    dfe: dfeRecipient(config),
    logger,
    authenticator: authenticator(config),
    presignExpiresSeconds: config.PRESIGN_EXPIRES_SECONDS,
    template: letterTemplate(config),
    renderer: overrides.wrapRenderer ? overrides.wrapRenderer(chromium) : chromium,
    mailer: overrides.wrapMailer ? overrides.wrapMailer(ses) : ses,
    mailFrom: config.MAIL_FROM ?? '',
    staleClaimSeconds: config.STALE_CLAIM_SECONDS,
    maxReceiveCount: config.MAX_RECEIVE_COUNT,
    sweepAfterSeconds: config.SWEEP_AFTER_SECONDS,
  };
}

export type Dependencies = ReturnType<typeof buildDependencies>;
