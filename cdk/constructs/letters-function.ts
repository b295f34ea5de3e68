import { join, posix } from 'node:path';
import { Duration, RemovalPolicy, Stack } from 'aws-cdk-lib';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Effect, PolicyStatement, Role, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Architecture, Runtime, Tracing } from 'aws-cdk-lib/aws-lambda';
import { SqsEventSource } from 'aws-cdk-lib/aws-lambda-event-sources';
import { NodejsFunction, OutputFormat, SourceMapMode } from 'aws-cdk-lib/aws-lambda-nodejs';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import type { IQueue, Queue } from 'aws-cdk-lib/aws-sqs';
import { Construct } from 'constructs';
import { bundledFontFiles } from '../../lambdas/adapters/templates/letter-fonts';
import { acknowledge } from '../nag';
import { CHROMIUM_BIN_DIR, type ChromiumLayer } from './chromium-layer';

/** Where the Lambda runtime unpacks the function's code. */
const TASK_ROOT = '/var/task';

interface BundledDirectory {
  /** Copied from the project root to the same relative place beside the bundle. */
  readonly copies: ReadonlyArray<{ readonly from: string; readonly to: string }>;
  /** The variable that tells the handler where the directory is. */
  readonly variable: string;
  readonly dir: string;
}

/**
 * Files the handlers read at run time, copied beside the bundle by esbuild's after-bundling
 * hook (a plain `cp`, so no Docker and no network), each announced by an environment variable.
 * Packages keep their node_modules place, so module resolution from the bundle finds them too.
 */
export const BUNDLED_FILES = {
  templates: {
    copies: [{ from: 'templates', to: 'templates' }],
    variable: 'TEMPLATES_DIR',
    dir: 'templates',
  },
  // The letter's font files (Arimo TTF), which the renderer offers Chromium through fontconfig
  // and the template fingerprints; under /var/task/fonts, a folder @sparticuz/chromium's own
  // fonts.conf lists too.
  fonts: {
    copies: bundledFontFiles().map(({ from, to }) => ({ from, to: `fonts/arimo/${to}` })),
    variable: 'FONTS_DIR',
    dir: 'fonts/arimo',
  },
  // The forms serve dist/govuk (styles, scripts, fonts, images); the prototype kit is left out.
  govukFrontend: {
    copies: ['package.json', 'dist/govuk'].map((name) => ({
      from: `node_modules/govuk-frontend/${name}`,
      to: `node_modules/govuk-frontend/${name}`,
    })),
    variable: 'GOVUK_FRONTEND_DIR',
    dir: 'node_modules/govuk-frontend/dist',
  },
  // The /api/docs page serves Swagger UI's script, stylesheet and icon.
  swaggerUi: {
    copies: ['package.json', 'swagger-ui.css', 'swagger-ui-bundle.js', 'favicon-32x32.png'].map((name) => ({
      from: `node_modules/swagger-ui-dist/${name}`,
      to: `node_modules/swagger-ui-dist/${name}`,
    })),
    variable: 'SWAGGER_UI_DIR',
    dir: 'node_modules/swagger-ui-dist',
  },
} satisfies Record<string, BundledDirectory>;

export type BundledFiles = keyof typeof BUNDLED_FILES;

export interface LettersFunctionProps {
  readonly projectRoot: string;
  /** The handler file, relative to the project root; it exports `handler`. */
  readonly entry: string;
  readonly description: string;
  readonly architecture: Architecture;
  readonly memorySize: number;
  readonly timeout: Duration;
  /** Attach the Chromium layer (its binaries; the package's JavaScript is bundled). */
  readonly chromium?: ChromiumLayer;
  readonly files?: BundledFiles[];
  /** For asynchronous invocations: where events go after Lambda's own retries. */
  readonly deadLetterQueue?: IQueue;
}

/** The DynamoDB actions a function may call, and the indexes its queries may use. */
export interface TableAccess {
  readonly actions: ReadonlyArray<
    'dynamodb:GetItem' | 'dynamodb:PutItem' | 'dynamodb:UpdateItem' | 'dynamodb:DeleteItem' | 'dynamodb:Query'
  >;
  readonly indexes?: ReadonlyArray<string>;
}

export type ArchiveAction = 's3:GetObject' | 's3:PutObject';

/**
 * The archive bucket as the functions see it. The ARN is read from a named output of the
 * stateful stack, so the object ARN in the grant (and the cdk-nag finding it raises) has a
 * stable, readable form that can be acknowledged exactly.
 */
export interface ArchiveRef {
  readonly bucketName: string;
  readonly bucketArn: string;
}

export interface MailSender {
  readonly from: string;
  /** The verified domain identity. Its ARN is built from the name, not imported from the stateful stack. */
  readonly domain: string;
  readonly configurationSetName: string;
}

/**
 * Every function's defaults (Node 22, esbuild bundling without Docker, source maps, its own
 * log group and role) and the helpers that grant a resource and set the variable naming it in
 * one step, so a function can never be configured for something it may not use, or the reverse.
 */
export class LettersFunction extends NodejsFunction {
  constructor(scope: Construct, id: string, props: LettersFunctionProps) {
    const logGroup = new LogGroup(scope, `${id}Logs`, {
      retention: RetentionDays.SIX_MONTHS,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    // A role of our own, so the only log permission is writing to this function's group
    // (the managed basic execution role allows every log group in the account).
    const role = new Role(scope, `${id}Role`, {
      assumedBy: new ServicePrincipal('lambda.amazonaws.com'),
      description: `Runs ${props.entry}`,
    });

    const files = (props.files ?? []).map((name) => BUNDLED_FILES[name]);
    const fileEnvironment = Object.fromEntries(
      files.map((f) => [f.variable, posix.join(TASK_ROOT, f.dir)]),
    );

    super(scope, id, {
      entry: join(props.projectRoot, props.entry),
      handler: 'handler',
      description: props.description,
      runtime: Runtime.NODEJS_22_X,
      architecture: props.architecture,
      memorySize: props.memorySize,
      timeout: props.timeout,
      role,
      logGroup,
      // Off: active tracing without instrumented clients shows little, and Powertools Tracer
      // would put aws-xray-sdk-core in every bundle and every cold start.
      tracing: Tracing.DISABLED,
      layers: props.chromium ? [props.chromium.layer] : undefined,
      deadLetterQueue: props.deadLetterQueue,
      projectRoot: props.projectRoot,
      depsLockFilePath: join(props.projectRoot, 'package-lock.json'),
      environment: {
        POWERTOOLS_SERVICE_NAME: 'inspection-letters',
        // The shared configuration asks every function for a mode; on AWS only API Gateway
        // authenticates callers, and the api function adds the issuer for the forms' cookie.
        AUTH_MODE: 'apigateway',
        POWERTOOLS_LOG_LEVEL: 'INFO',
        NODE_OPTIONS: '--enable-source-maps',
        ...(props.chromium ? { CHROMIUM_SINGLE_PROCESS: 'true', CHROMIUM_BIN_DIR } : {}),
        ...fileEnvironment,
      },
      bundling: {
        forceDockerBundling: false,
        format: OutputFormat.ESM,
        target: 'node22',
        mainFields: ['module', 'main'],
        // Bundled CommonJS dependencies still call require() for Node's built-ins.
        banner: "import { createRequire } from 'module'; const require = createRequire(import.meta.url);",
        minify: true,
        sourceMap: true,
        sourceMapMode: SourceMapMode.DEFAULT,
        sourcesContent: false,
        // The SDK is bundled at the locked version so Lambda runs what the local stack runs.
        bundleAwsSDK: true,
        // Everything is bundled, @sparticuz/chromium's JavaScript included: Node's ES module
        // loader does not search NODE_PATH, so nothing may be left to resolve from a layer.
        externalModules: [],
        commandHooks: {
          beforeBundling: () => [],
          beforeInstall: () => [],
          afterBundling: (inputDir: string, outputDir: string) =>
            files
              .flatMap((f) => f.copies)
              .flatMap((c) => [
                `mkdir -p "${posix.join(outputDir, posix.dirname(c.to))}"`,
                `cp -R "${posix.join(inputDir, c.from)}" "${posix.join(outputDir, c.to)}"`,
              ]),
        },
      },
    });
    logGroup.grantWrite(role);
  }

  /** Grants exactly these table actions (and index queries) and sets TABLE_NAME. */
  bindTable(table: ITable, access: TableAccess): this {
    const { actions, indexes = [] } = access;
    const resources = [table.tableArn];
    if (actions.includes('dynamodb:Query')) resources.push(...indexes.map((name) => `${table.tableArn}/index/${name}`));
    this.addToRolePolicy(new PolicyStatement({ effect: Effect.ALLOW, actions: [...actions], resources }));
    this.addEnvironment('TABLE_NAME', table.tableName);
    return this;
  }

  /** Grants these archive actions and sets ARCHIVE_BUCKET; an empty list names the bucket and grants nothing. */
  bindArchive(bucket: ArchiveRef, actions: ArchiveAction[]): this {
    if (actions.length > 0) {
      this.addToRolePolicy(new PolicyStatement({ actions, resources: [`${bucket.bucketArn}/*`] }));
      const flattened = `${JSON.stringify(Stack.of(this).resolve(bucket.bucketArn))}/*`;
      acknowledge(this.role!, {
        [`AwsSolutions-IAM5[Resource::${flattened}]`]:
          'Object actions take an object ARN: <archive bucket>/* covers the letters in the archive bucket and nothing else.',
      });
    }
    this.addEnvironment('ARCHIVE_BUCKET', bucket.bucketName);
    return this;
  }

  /** Grants sending (only sending) to a queue and sets the variable holding its URL. */
  bindQueueSender(queue: IQueue, variable: 'RENDER_QUEUE_URL' | 'DISTRIBUTE_QUEUE_URL'): this {
    this.addToRolePolicy(new PolicyStatement({ actions: ['sqs:SendMessage'], resources: [queue.queueArn] }));
    this.addEnvironment(variable, queue.queueUrl);
    return this;
  }

  /**
   * Consumes a queue, reporting failed records one by one so a batch is never retried whole, and
   * tells the handler the queue's MAX_RECEIVE_COUNT so it knows a record's last attempt.
   */
  consume(queue: Queue, options: { batchSize: number; maxConcurrency: number }): this {
    const redrive = queue.deadLetterQueue;
    if (!redrive) throw new Error(`${queue.node.path} has no dead-letter queue; every consumed queue needs one`);
    this.addEnvironment('MAX_RECEIVE_COUNT', String(redrive.maxReceiveCount));
    // The handler hides a failed record for longer after each attempt (ChangeMessageVisibility).
    this.addEnvironment('SOURCE_QUEUE_URL', queue.queueUrl);
    this.addEventSource(
      new SqsEventSource(queue, {
        batchSize: options.batchSize,
        maxConcurrency: options.maxConcurrency,
        reportBatchItemFailures: true,
      }),
    );
    return this;
  }

  /**
   * Grants ses:SendRawEmail for this sender through this configuration set only, and sets
   * MAIL_FROM and SES_CONFIGURATION_SET. SES authorises a send against both resources.
   */
  bindMailSender(mail: MailSender): this {
    const identityArn = Stack.of(this).formatArn({ service: 'ses', resource: 'identity', resourceName: mail.domain });
    const configurationSetArn = Stack.of(this).formatArn({
      service: 'ses',
      resource: 'configuration-set',
      resourceName: mail.configurationSetName,
    });
    this.addToRolePolicy(
      new PolicyStatement({
        actions: ['ses:SendRawEmail'],
        resources: [identityArn, configurationSetArn],
        conditions: { StringEquals: { 'ses:FromAddress': mail.from } },
      }),
    );
    this.addEnvironment('MAIL_FROM', mail.from);
    this.addEnvironment('SES_CONFIGURATION_SET', mail.configurationSetName);
    return this;
  }
}
