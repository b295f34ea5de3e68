import { Annotations, CfnOutput, Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import { AccessLogField, AccessLogFormat } from 'aws-cdk-lib/aws-apigateway';
import { HttpApi, HttpMethod, LogGroupLogDestination, type HttpRoute } from 'aws-cdk-lib/aws-apigatewayv2';
import { HttpUserPoolAuthorizer } from 'aws-cdk-lib/aws-apigatewayv2-authorizers';
import { HttpLambdaIntegration } from 'aws-cdk-lib/aws-apigatewayv2-integrations';
import { Alarm, ComparisonOperator, Metric, TreatMissingData, type IMetric } from 'aws-cdk-lib/aws-cloudwatch';
import { Rule, Schedule } from 'aws-cdk-lib/aws-events';
import { LambdaFunction as LambdaTarget } from 'aws-cdk-lib/aws-events-targets';
import { SnsAction } from 'aws-cdk-lib/aws-cloudwatch-actions';
import { ClientAttributes, OAuthScope, UserPoolClient, UserPoolClientIdentityProvider, type IUserPool } from 'aws-cdk-lib/aws-cognito';
import type { ITable } from 'aws-cdk-lib/aws-dynamodb';
import { Architecture } from 'aws-cdk-lib/aws-lambda';
import { LogGroup, RetentionDays } from 'aws-cdk-lib/aws-logs';
import { Topic, type ITopic } from 'aws-cdk-lib/aws-sns';
import { EmailSubscription, LambdaSubscription } from 'aws-cdk-lib/aws-sns-subscriptions';
import { Secret } from 'aws-cdk-lib/aws-secretsmanager';
import { Queue, QueueEncryption } from 'aws-cdk-lib/aws-sqs';
import type { Construct } from 'constructs';
import { ChromiumLayer } from '../constructs/chromium-layer';
import { type ArchiveRef, LettersFunction, type MailSender } from '../constructs/letters-function';
import { acknowledge } from '../nag';
import type { Settings } from '../settings';
import { LETTER_INDEXES } from './stateful-stack';

/** What the stateless stack uses from the stateful one. */
export interface StatefulResources {
  readonly table: ITable;
  readonly archive: ArchiveRef;
  readonly mail: MailSender;
  readonly mailEventsTopic: ITopic;
  readonly userPool: IUserPool;
}

export interface StatelessStackProps extends StackProps {
  readonly settings: Settings;
  readonly projectRoot: string;
  readonly stateful: StatefulResources;
}

/** Lambda's rule of thumb: a queue hides a message for six times the consumer's timeout. */
const VISIBILITY_PER_TIMEOUT = 6;

/** The routes DESIGN.md leaves open to anyone: no authorizer at the gateway. */
export const OPEN_ROUTES = ['/health', '/api/openapi.json', '/api/docs', '/api/docs/{file}', '/api/verify/{sha256}'] as const;

/** Handler entry points, relative to the project root. */
export const ENTRIES = {
  api: 'lambdas/handlers/http/api.ts',
  render: 'lambdas/handlers/queue/render-letter.ts',
  distribute: 'lambdas/handlers/queue/distribute-letter.ts',
  events: 'lambdas/handlers/events/record-delivery-event.ts',
  preview: 'lambdas/handlers/http/preview-letter-pdf.ts',
  sweeper: 'lambdas/handlers/schedule/sweep-stalled-letters.ts',
} as const;

/**
 * A new account may run 10 functions at once in a region. The two queue triggers take at most
 * QUEUE_CONCURRENCY each (2 is the least Lambda allows), leaving the rest for the API, previews,
 * SES events and the sweeper, so a burst of letters never throttles people using the forms.
 */
export const QUEUE_CONCURRENCY = 2;

/** How often the sweeper runs, and how long a letter must have been left before it is queued again. */
export const SWEEP_EVERY = Duration.minutes(5);
export const SWEEP_AFTER = Duration.minutes(10);

const NODE22_REASON =
  'Node.js 22 is the runtime the handlers and @sparticuz/chromium are built and tested for; moving to a newer runtime is a deliberate upgrade, not a drift.';

/**
 * Everything that can be replaced without losing data: the functions, the HTTP API and its
 * sign-in client, the queues between stages, and the alarms.
 */
export class StatelessStack extends Stack {
  readonly api: HttpApi;
  readonly functions: Record<keyof typeof ENTRIES, LettersFunction>;
  readonly alarmTopic: Topic;

  constructor(scope: Construct, id: string, props: StatelessStackProps) {
    super(scope, id, props);
    const { settings, projectRoot, stateful } = props;
    const chromium = new ChromiumLayer(this, 'Chromium', { projectRoot });

    // ---- Functions -------------------------------------------------------------------------
    // Chromium needs at least 1600 MB to render reliably; 2048 MB also buys more than one vCPU.
    // The @sparticuz/chromium binary is x86_64 only, so every function that launches it is too.
    const render = new LettersFunction(this, 'RenderLetter', {
      projectRoot,
      entry: ENTRIES.render,
      description: 'Renders an approved letter to PDF and archives it',
      architecture: Architecture.X86_64,
      memorySize: 2048,
      timeout: Duration.seconds(60),
      chromium,
      files: ['templates', 'fonts'],
    });
    const preview = new LettersFunction(this, 'PreviewLetterPdf', {
      projectRoot,
      entry: ENTRIES.preview,
      description: 'Prints a draft as a DRAFT-watermarked PDF',
      architecture: Architecture.X86_64,
      memorySize: 2048,
      // API Gateway gives up on an integration after 30 seconds.
      timeout: Duration.seconds(29),
      chromium,
      files: ['templates', 'fonts', 'govukFrontend'],
    });
    // JSON, HTML previews and the forms: no browser. Measured with npm run smoke:lambda, a cold
    // start loads ~2 MB of JavaScript and peaks near 150 MB; 1024 MB buys about 0.6 vCPU, which
    // keeps the cold start short, where 512 MB (0.3 vCPU) would roughly double it.
    const api = new LettersFunction(this, 'Api', {
      projectRoot,
      entry: ENTRIES.api,
      description: 'HTTP API and forms for inspection letters',
      architecture: Architecture.ARM_64,
      memorySize: 1024,
      timeout: Duration.seconds(29),
      files: ['templates', 'fonts', 'govukFrontend', 'swaggerUi'],
    });
    const distribute = new LettersFunction(this, 'DistributeLetter', {
      projectRoot,
      entry: ENTRIES.distribute,
      description: 'Emails an archived letter to each statutory recipient',
      architecture: Architecture.ARM_64,
      memorySize: 512,
      timeout: Duration.seconds(30),
    });
    const eventsDlq = this.deadLetterQueue('RecordDeliveryEventDlq');
    const events = new LettersFunction(this, 'RecordDeliveryEvent', {
      projectRoot,
      entry: ENTRIES.events,
      description: 'Records SES delivery, bounce and complaint events per recipient',
      architecture: Architecture.ARM_64,
      memorySize: 256,
      timeout: Duration.seconds(10),
      // SNS invokes asynchronously: after Lambda's retries the event is kept here, not lost.
      deadLetterQueue: eventsDlq,
    });
    const sweeper = new LettersFunction(this, 'SweepStalledLetters', {
      projectRoot,
      entry: ENTRIES.sweeper,
      description: 'Queues again the letters left approved or rendered with no job to move them on',
      architecture: Architecture.ARM_64,
      memorySize: 256,
      timeout: Duration.seconds(60),
    });
    this.functions = { api, preview, render, distribute, events, sweeper };

    // ---- Queues between the stages ---------------------------------------------------------
    const renderDlq = this.deadLetterQueue('RenderDlq');
    const renderQueue = new Queue(this, 'RenderQueue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      visibilityTimeout: Duration.seconds(render.timeout!.toSeconds() * VISIBILITY_PER_TIMEOUT),
      // Each failed attempt waits twice as long as the last (30 s to 8 min, see wiring/backoff.ts):
      // five receives span a quarter of an hour, enough to outlast a passing outage.
      deadLetterQueue: { queue: renderDlq, maxReceiveCount: 5 },
    });
    const distributeDlq = this.deadLetterQueue('DistributeDlq');
    const distributeVisibility = Duration.seconds(distribute.timeout!.toSeconds() * VISIBILITY_PER_TIMEOUT);
    const distributeQueue = new Queue(this, 'DistributeQueue', {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      visibilityTimeout: distributeVisibility,
      // More tries than rendering, with the same doubling waits: SES throttling is transient.
      deadLetterQueue: { queue: distributeDlq, maxReceiveCount: 8 },
    });

    // ---- Access: each function gets the calls its use cases make, and nothing else ---------------
    // Letters are read with a consistent Query on their partition (the letter and its audit
    // entries), changed with conditional UpdateItem, created and audited with PutItem.
    const indexes = Object.keys(LETTER_INDEXES);
    api
      // drafts, review and search through the three indexes
      .bindTable(stateful.table, { actions: ['dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:UpdateItem'], indexes })
      // presigned URLs for archived PDFs carry the signer's permission
      .bindArchive(stateful.archive, ['s3:GetObject'])
      // approval starts rendering; redistribution goes straight to distribution
      .bindQueueSender(renderQueue, 'RENDER_QUEUE_URL')
      .bindQueueSender(distributeQueue, 'DISTRIBUTE_QUEUE_URL');
    // Search cursors are sealed with an HMAC under a key of this deployment. CloudFormation puts
    // the generated value into the functions' (encrypted) environment at deploy time; the template
    // holds only a reference to it. A new key on redeploy only ends the cursors clients hold.
    const cursorKey = new Secret(this, 'CursorKey', {
      description: 'HMAC key that seals the letter search cursors',
      generateSecretString: { passwordLength: 64, excludePunctuation: true },
      removalPolicy: RemovalPolicy.DESTROY,
    });
    acknowledge(cursorKey, {
      'AwsSolutions-SMG4': 'The key only seals search cursors, which live for minutes; replacing it ends the cursors clients hold and nothing else.',
    });
    // The api function searches for people; the sweeper pages through letters left between stages.
    for (const fn of [api, sweeper]) fn.addEnvironment('CURSOR_KEY', cursorKey.secretValue.unsafeUnwrap());
    render
      .bindTable(stateful.table, { actions: ['dynamodb:Query', 'dynamodb:UpdateItem'] })
      // the PDF, its HTML and the manifest; the archive is write-once, so nothing is read back
      .bindArchive(stateful.archive, ['s3:PutObject'])
      .bindQueueSender(distributeQueue, 'DISTRIBUTE_QUEUE_URL')
      .consume(renderQueue, { batchSize: 1, maxConcurrency: QUEUE_CONCURRENCY });
    preview
      // reads the draft, and takes and gives back the person's one preview slot; previews change no letter
      .bindTable(stateful.table, { actions: ['dynamodb:Query', 'dynamodb:PutItem', 'dynamodb:DeleteItem'] })
      .bindArchive(stateful.archive, []);
    distribute
      // claims and records each recipient's send (and each withdrawal notice), all as updates
      .bindTable(stateful.table, { actions: ['dynamodb:Query', 'dynamodb:UpdateItem'] })
      // the archived PDF, checked against its SHA-256 before it is attached
      .bindArchive(stateful.archive, ['s3:GetObject'])
      .bindMailSender(stateful.mail)
      .consume(distributeQueue, { batchSize: 5, maxConcurrency: QUEUE_CONCURRENCY })
      // A live worker holds a recipient's claim for at most its timeout; a claim older than a
      // whole visibility window belongs to a worker that died.
      .addEnvironment('STALE_CLAIM_SECONDS', String(distributeVisibility.toSeconds()));
    events
      // the message's tags name the letter and recipient: one conditional update, no look-up
      .bindTable(stateful.table, { actions: ['dynamodb:UpdateItem'] })
      // the shared configuration needs the bucket's name; this function reads nothing from it
      .bindArchive(stateful.archive, []);
    stateful.mailEventsTopic.addSubscription(new LambdaSubscription(events));
    sweeper
      // lists approved, rendered and withdrawn letters through the status index
      .bindTable(stateful.table, { actions: ['dynamodb:Query'], indexes: [LETTER_INDEXES.byStatus] })
      .bindArchive(stateful.archive, [])
      .bindQueueSender(renderQueue, 'RENDER_QUEUE_URL')
      .bindQueueSender(distributeQueue, 'DISTRIBUTE_QUEUE_URL')
      .addEnvironment('SWEEP_AFTER_SECONDS', String(SWEEP_AFTER.toSeconds()));
    new Rule(this, 'SweepSchedule', {
      description: 'Looks for letters left between stages',
      schedule: Schedule.rate(SWEEP_EVERY),
      targets: [new LambdaTarget(sweeper, { retryAttempts: 0 })],
    });

    // ---- HTTP API ----------------------------------------------------------------------------
    this.api = new HttpApi(this, 'HttpApi', {
      description: 'Inspection letters: drafts, approval, archive and distribution',
      createDefaultStage: false,
    });
    const accessLogs = new LogGroup(this, 'HttpApiAccessLogs', {
      retention: RetentionDays.ONE_YEAR,
      removalPolicy: RemovalPolicy.DESTROY,
    });
    const stage = this.api.addStage('DefaultStage', {
      stageName: '$default',
      autoDeploy: true,
      throttle: { rateLimit: 50, burstLimit: 100 },
      accessLogSettings: {
        destination: new LogGroupLogDestination(accessLogs),
        format: AccessLogFormat.custom(
          JSON.stringify({
            requestId: AccessLogField.contextRequestId(),
            time: AccessLogField.contextRequestTime(),
            ip: AccessLogField.contextIdentitySourceIp(),
            routeKey: AccessLogField.contextRouteKey(),
            path: AccessLogField.contextPath(),
            status: AccessLogField.contextStatus(),
            responseLength: AccessLogField.contextResponseLength(),
            latency: AccessLogField.contextResponseLatency(),
            integrationError: AccessLogField.contextIntegrationErrorMessage(),
            authorizerError: AccessLogField.contextAuthorizerError(),
            user: AccessLogField.contextAuthorizerClaims('sub'),
          }),
        ),
      },
    });

    // The forms sign in through the hosted UI; the client has no secret because the code
    // flow with PKCE protects it, and the API's authorizer accepts only this client's tokens.
    const client = new UserPoolClient(this, 'FormsClient', {
      userPool: stateful.userPool,
      generateSecret: false,
      authFlows: { userSrp: true },
      preventUserExistenceErrors: true,
      enableTokenRevocation: true,
      accessTokenValidity: Duration.hours(1),
      idTokenValidity: Duration.hours(1),
      refreshTokenValidity: Duration.hours(12),
      supportedIdentityProviders: [UserPoolClientIdentityProvider.COGNITO],
      // The name in every record of who did what is set by an administrator only: signed-in people
      // may change their locale and time zone, never their name or email (left unset, every
      // standard attribute would be writable). Groups are no attribute: only admin calls change them.
      readAttributes: new ClientAttributes().withStandardAttributes({ fullname: true, email: true, emailVerified: true, locale: true, timezone: true }),
      writeAttributes: new ClientAttributes().withStandardAttributes({ locale: true, timezone: true }),
      oAuth: {
        flows: { authorizationCodeGrant: true },
        scopes: [OAuthScope.OPENID, OAuthScope.EMAIL, OAuthScope.PROFILE],
        callbackUrls: [`${this.api.apiEndpoint}${settings.authCallbackPath}`],
        logoutUrls: [`${this.api.apiEndpoint}${settings.signOutPath}`],
      },
    });
    // Exactly the `iss` Cognito writes into its tokens, and what the authorizer checks.
    const issuer = `https://cognito-idp.${this.region}.amazonaws.com/${stateful.userPool.userPoolId}`;
    for (const fn of [api, preview]) {
      fn
      .addEnvironment('AUTH_MODE', 'apigateway')
      .addEnvironment('JWT_ISSUER', issuer)
      .addEnvironment('JWT_AUDIENCE', client.userPoolClientId)
      .addEnvironment('JWT_JWKS_URL', `${issuer}/.well-known/jwks.json`)
      // The forms send people to the hosted UI to sign in, and back to /auth/callback.
      .addEnvironment('SIGN_IN_MODE', 'cognito')
      .addEnvironment('COGNITO_HOSTED_UI_URL', `https://${settings.cognitoDomainPrefix}.auth.${this.region}.amazoncognito.com`)
      .addEnvironment('COGNITO_CLIENT_ID', client.userPoolClientId);
      // Where the DfE copy goes: letters are drafted and approved here, and nobody can send it elsewhere.
      if (settings.dfe) {
        fn.addEnvironment('DFE_EMAIL', settings.dfe.email).addEnvironment('DFE_NAME', settings.dfe.name).addEnvironment('DFE_ORGANISATION', settings.dfe.organisation);
      }
    }
    if (!settings.dfe) {
      Annotations.of(this).addWarningV2(
        'inspection-letters:dfe',
        'No DfE recipient: pass -c dfeEmail=… -c dfeName=…. Without them the API function refuses to start, so no letter can be drafted.',
      );
    }

    const authorizer = new HttpUserPoolAuthorizer('Cognito', stateful.userPool, {
      userPoolClients: [client],
      identitySource: ['$request.header.Authorization'],
    });
    const integration = new HttpLambdaIntegration('Api', api);
    const previewIntegration = new HttpLambdaIntegration('Preview', preview);
    // Every /api route carries the JWT authorizer: a request without a valid token from this
    // pool never reaches a function. The most specific route wins, so DRAFT PDFs go to the
    // preview function and everything else to the api function.
    this.api.addRoutes({ path: '/api', methods: [HttpMethod.ANY], integration, authorizer });
    this.api.addRoutes({ path: '/api/{proxy+}', methods: [HttpMethod.ANY], integration, authorizer });
    // HEAD too: left out, it would fall to the api function, which has no browser to print with.
    this.api.addRoutes({ path: '/api/letters/{id}/preview.pdf', methods: [HttpMethod.GET, HttpMethod.HEAD], integration: previewIntegration, authorizer });
    // Open at the gateway: health, the API's description and the verification of a PDF's hash
    // answer anyone (DESIGN.md); the forms send a session cookie, not a bearer header, and the
    // function verifies that cookie against the same pool's keys.
    const open: HttpRoute[] = [
      // HEAD too: left out, it would fall to ANY /api/{proxy+} and its authorizer, and answer 401.
      ...OPEN_ROUTES.flatMap((path) => this.api.addRoutes({ path, methods: [HttpMethod.GET, HttpMethod.HEAD], integration })),
      ...this.api.addRoutes({ path: '/letters/{id}/preview.pdf', methods: [HttpMethod.GET, HttpMethod.HEAD], integration: previewIntegration }),
      ...this.api.addRoutes({ path: '/', methods: [HttpMethod.GET, HttpMethod.POST], integration }),
      ...this.api.addRoutes({ path: '/{proxy+}', methods: [HttpMethod.ANY], integration }),
    ];
    for (const route of open) {
      acknowledge(route, {
        'AwsSolutions-APIG4':
          'Health, the OpenAPI document and its page, and PDF verification are open by design; the forms pages authenticate in the function with a session cookie verified against the Cognito JWKS.',
      });
    }

    // ---- Alarms ------------------------------------------------------------------------------
    // Alarm messages hold names and numbers, no personal data, so the topic needs no key.
    this.alarmTopic = new Topic(this, 'Alarms', { enforceSSL: true });
    if (settings.alarmEmail) this.alarmTopic.addSubscription(new EmailSubscription(settings.alarmEmail));
    const alarmAction = new SnsAction(this.alarmTopic);
    const alarm = (id: string, metric: IMetric, threshold: number, description: string) => {
      const created = new Alarm(this, id, {
        metric,
        threshold,
        evaluationPeriods: 1,
        comparisonOperator: ComparisonOperator.GREATER_THAN_THRESHOLD,
        treatMissingData: TreatMissingData.NOT_BREACHING,
        alarmDescription: description,
      });
      created.addAlarmAction(alarmAction);
      return created;
    };
    for (const [name, dlq] of Object.entries({ Render: renderDlq, Distribute: distributeDlq, RecordDeliveryEvent: eventsDlq })) {
      alarm(
        `${name}DlqNotEmpty`,
        dlq.metricApproximateNumberOfMessagesVisible({ period: Duration.minutes(1), statistic: 'Maximum' }),
        0,
        `${name}: a message has given up and waits in the dead-letter queue`,
      );
    }
    for (const [name, fn] of Object.entries(this.functions)) {
      alarm(`${name}Errors`, fn.metricErrors({ period: Duration.minutes(5), statistic: 'Sum' }), 0, `${name}: the function failed`);
    }
    for (const [name, queue, limit] of [
      ['Render', renderQueue, Duration.minutes(15)],
      ['Distribute', distributeQueue, Duration.minutes(30)],
    ] as const) {
      // Failed records are reported one by one and never count as function errors: a job that
      // keeps failing shows here first, as the oldest message growing old, then in the DLQ.
      alarm(
        `${name}QueueOldMessage`,
        queue.metricApproximateAgeOfOldestMessage({ period: Duration.minutes(5), statistic: 'Maximum' }),
        limit.toSeconds(),
        `${name}: a job has waited over ${limit.toMinutes()} minutes (failing and retried, or no consumer)`,
      );
    }
    // SES reviews an account whose bounce rate passes 5% and may pause it at 10%; for
    // complaints, 0.1% and 0.5%. Alarm well before the review.
    const reputation = (metricName: string) =>
      new Metric({ namespace: 'AWS/SES', metricName, period: Duration.hours(1), statistic: 'Maximum' });
    alarm('SesBounceRate', reputation('Reputation.BounceRate'), 0.02, 'SES: the bounce rate passed 2% (AWS reviews accounts at 5%)');
    alarm('SesComplaintRate', reputation('Reputation.ComplaintRate'), 0.0005, 'SES: the complaint rate passed 0.05% (AWS reviews accounts at 0.1%)');
    alarm(
      'Api5xx',
      this.api.metricServerError({ period: Duration.minutes(5), statistic: 'Sum' }),
      0,
      'API: a request got a 5xx answer (a function failed or timed out)',
    );
    const renderTimeoutMs = render.timeout!.toMilliseconds();
    alarm(
      'RenderDurationNearTimeout',
      render.metricDuration({ period: Duration.minutes(5), statistic: 'p95' }),
      Math.round(renderTimeoutMs * 0.8),
      'Rendering takes over 80% of its timeout at p95: raise memory or the timeout before renders start failing',
    );

    // ---- Acknowledgements that apply to every function -----------------------------------------
    for (const fn of Object.values(this.functions)) {
      acknowledge(fn, { 'AwsSolutions-L1': NODE22_REASON });
    }

    new CfnOutput(this, 'ApiUrl', { value: stage.url });
    new CfnOutput(this, 'UserPoolClientId', { value: client.userPoolClientId });
    new CfnOutput(this, 'HostedUiUrl', {
      value: `https://${settings.cognitoDomainPrefix}.auth.${this.region}.amazoncognito.com`,
    });
    new CfnOutput(this, 'AlarmTopicArn', { value: this.alarmTopic.topicArn });
  }

  private deadLetterQueue(id: string): Queue {
    return new Queue(this, id, {
      encryption: QueueEncryption.SQS_MANAGED,
      enforceSSL: true,
      // The longest SQS allows: time to find out why before the message is gone.
      retentionPeriod: Duration.days(14),
    });
  }
}
