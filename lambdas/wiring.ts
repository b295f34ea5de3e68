import { Logger } from '@aws-lambda-powertools/logger';
import { DynamoDBClient } from '@aws-sdk/client-dynamodb';
import { S3Client } from '@aws-sdk/client-s3';
import { SESClient } from '@aws-sdk/client-ses';
import { SQSClient } from '@aws-sdk/client-sqs';
import { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { join } from 'node:path';
import { ChromiumPdfRenderer } from './adapters/chromium/chromium-pdf-renderer';
import { NunjucksLetterTemplate } from './adapters/templates/nunjucks-letter-template';
import { GatewayClaimsAuthenticator, JwtAuthenticator } from './adapters/auth/jwt-authenticator';
import { DynamoDbLetterRepository } from './adapters/dynamodb/dynamodb-letter-repository';
import { systemClock, UlidGenerator } from './adapters/ids';
import { S3ArchiveStore } from './adapters/s3/s3-archive-store';
import { SesMailer } from './adapters/ses/ses-mailer';
import { SqsJobQueue } from './adapters/sqs/sqs-job-queue';
import { type Config, required } from './config';
import type { Authenticator, JobQueue, Mailer, PdfRenderer } from './core/ports';

/**
 * AWS clients, built once per process. Endpoints come from the SDK's own settings
 * (AWS_ENDPOINT_URL_DYNAMODB and friends), so the same code talks to AWS or to the local emulators.
 */
export function awsClients(config: Config) {
  const dynamo = new DynamoDBClient({});
  return {
    dynamo,
    documents: DynamoDBDocumentClient.from(dynamo, { marshallOptions: { removeUndefinedValues: true } }),
    s3: new S3Client({ forcePathStyle: config.S3_FORCE_PATH_STYLE === 'true' }),
    ses: new SESClient({}),
    sqs: new SQSClient({}),
  };
}

function authenticator(config: Config): Authenticator {
  const verify = () =>
    new JwtAuthenticator({
      issuer: required(config, 'JWT_ISSUER'),
      audience: required(config, 'JWT_AUDIENCE'),
      jwks: config.JWT_JWKS ? JSON.parse(config.JWT_JWKS) : undefined,
      jwksUrl: config.JWT_JWKS_URL,
    });
  if (config.AUTH_MODE === 'jwt') return verify();
  return new GatewayClaimsAuthenticator(config.JWT_ISSUER ? verify() : undefined);
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

/** Everything a handler needs, built once per cold start and passed in. */
export function buildDependencies(config: Config, overrides: Overrides = {}) {
  const clients = overrides.clients ?? awsClients(config);
  const clock = systemClock;
  const ids = new UlidGenerator(clock);
  const letters = new DynamoDbLetterRepository(clients.documents, config.TABLE_NAME);
  const jobs =
    overrides.jobs ?? new SqsJobQueue(clients.sqs, { render: config.RENDER_QUEUE_URL, distribute: config.DISTRIBUTE_QUEUE_URL });
  const archive = new S3ArchiveStore(clients.s3, config.ARCHIVE_BUCKET);
  const logger = overrides.logger ?? new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'inspection-letters' });
  const template = new NunjucksLetterTemplate(config.TEMPLATES_DIR ?? join(process.cwd(), 'templates'), {
    fontPackageDir: config.FONTS_DIR,
  });
  // Chromium starts on the first render, not here: functions that never render never pay for it.
  const chromium = new ChromiumPdfRenderer({
    timeoutMs: config.RENDER_TIMEOUT_MS,
    singleProcess: config.CHROMIUM_SINGLE_PROCESS === 'true',
    logger: { info: (message, details) => logger.info(message, { ...details }), warn: (message, details) => logger.warn(message, { ...details }) },
  });
  const renderer = overrides.wrapRenderer ? overrides.wrapRenderer(chromium) : chromium;
  const ses = new SesMailer(clients.ses, config.SES_CONFIGURATION_SET);
  const mailer = overrides.wrapMailer ? overrides.wrapMailer(ses) : ses;
  return {
    config,
    clients,
    clock,
    ids,
    letters,
    jobs,
    archive,
    logger,
    authenticator: authenticator(config),
    presignExpiresSeconds: config.PRESIGN_EXPIRES_SECONDS,
    template,
    renderer,
    mailer,
    mailFrom: config.MAIL_FROM ?? '',
    staleClaimSeconds: config.STALE_CLAIM_SECONDS,
    maxReceiveCount: config.MAX_RECEIVE_COUNT,
  };
}

export type Dependencies = ReturnType<typeof buildDependencies>;
