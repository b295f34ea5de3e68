import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { App, Stack, Validations } from 'aws-cdk-lib';
import { Match, Template } from 'aws-cdk-lib/assertions';
import { PolicyStatement } from 'aws-cdk-lib/aws-iam';
import type { CfnFunction } from 'aws-cdk-lib/aws-lambda';
import type { IConstruct } from 'constructs';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { defineInspectionLetters, STACK_NAMES } from '../../cdk/inspection-letters';
import { PROJECT_ROOT } from '../../cdk/paths';
import { readSettings } from '../../cdk/settings';
import { letterTableDefinition } from '../../lambdas/adapters/dynamodb/letter-table';

type Resources = Record<string, { Type: string; Properties?: any; DeletionPolicy?: string; UpdateReplacePolicy?: string }>;

/** Actions AWS only authorises on "*", each with the reason it cannot be narrowed. */
const ACTIONS_ONLY_ON_STAR: Record<string, string> = {};

/** What every deployment must choose: tests pass it as `-c` would. */
const REQUIRED = { cognitoDomainPrefix: 'test-inspection-letters', sesDomain: 'letters.example.gov.uk' };
/** Where the DfE copy of every letter goes, as a deployment passes it. */
const DFE = { dfeEmail: 'letters@education.example', dfeName: 'Andrew Spencer' };

const cdkJsonContext = (): Record<string, unknown> =>
  JSON.parse(readFileSync(join(PROJECT_ROOT, 'cdk.json'), 'utf8')).context as Record<string, unknown>;

/**
 * The app as `cdk synth` builds it (cdk.json's context, cdk-nag on) with esbuild skipped:
 * bundling is what makes synth slow, and the assertions are about the templates.
 */
function synthesize(extraContext: Record<string, unknown> = {}) {
  const outdir = mkdtempSync(join(tmpdir(), 'cdk-test-'));
  const app = new App({ outdir, context: { ...cdkJsonContext(), ...REQUIRED, ...extraContext, 'aws:cdk:bundling-stacks': [] } });
  const defined = defineInspectionLetters(app);
  const assembly = app.synth();
  return { app, outdir, assembly, ...defined };
}

const asArray = <T>(value: T | T[] | undefined): T[] => (value === undefined ? [] : Array.isArray(value) ? value : [value]);

function statements(resources: Resources) {
  const found: { resource: string; type: string; statement: any }[] = [];
  for (const [id, r] of Object.entries(resources)) {
    const documents: any[] = [];
    if (r.Type === 'AWS::IAM::Policy' || r.Type === 'AWS::IAM::ManagedPolicy') documents.push(r.Properties.PolicyDocument);
    if (r.Type === 'AWS::IAM::Role') documents.push(...asArray(r.Properties.Policies).map((p: any) => p.PolicyDocument));
    if (['AWS::S3::BucketPolicy', 'AWS::SQS::QueuePolicy', 'AWS::SNS::TopicPolicy'].includes(r.Type)) documents.push(r.Properties.PolicyDocument);
    for (const doc of documents) for (const statement of asArray(doc?.Statement)) found.push({ resource: id, type: r.Type, statement });
  }
  return found;
}

describe('InspectionLetters stacks', () => {
  let synth: ReturnType<typeof synthesize>;
  let stateful: Template;
  let stateless: Template;
  let statefulResources: Resources;
  let statelessResources: Resources;
  const logicalId = (stack: Stack, construct: IConstruct) => stack.getLogicalId(construct.node.defaultChild as CfnFunction);

  beforeAll(() => {
    synth = synthesize(DFE);
    stateful = Template.fromJSON(synth.assembly.getStackByName(STACK_NAMES.stateful).template);
    stateless = Template.fromJSON(synth.assembly.getStackByName(STACK_NAMES.stateless).template);
    statefulResources = stateful.toJSON().Resources;
    statelessResources = stateless.toJSON().Resources;
  });
  afterAll(() => rmSync(synth.outdir, { recursive: true, force: true }));

  describe('cdk-nag AwsSolutions', () => {
    it('reports no unacknowledged finding of any severity', () => {
      // app.synth() throws on an error finding; warnings would only show in the report.
      const reportPath = join(synth.outdir, 'validation-report.json');
      const report = existsSync(reportPath) ? JSON.parse(readFileSync(reportPath, 'utf8')) : { pluginReports: [] };
      const violations = (report.pluginReports ?? []).flatMap((p: any) => p.violations ?? []);
      expect(violations).toEqual([]);
    });

    it('fails synthesis when a finding is not acknowledged', () => {
      const outdir = mkdtempSync(join(tmpdir(), 'cdk-test-'));
      try {
        const app = new App({ outdir, context: { ...cdkJsonContext(), ...REQUIRED, 'aws:cdk:bundling-stacks': [] } });
        const { stateless: stack } = defineInspectionLetters(app);
        // The same app with one stray wildcard action must not synthesise.
        stack.functions.events.addToRolePolicy(new PolicyStatement({ actions: ['s3:*'], resources: ['arn:aws:s3:::elsewhere/*'] }));
        expect(() => app.synth()).toThrow(/AwsSolutions-IAM5\[Action::s3:\*\]/);
      } finally {
        rmSync(outdir, { recursive: true, force: true });
      }
    });

    it('gives every acknowledgement a written reason', () => {
      const acknowledgements: { path: string; id: string; reason: string }[] = [];
      const walk = (c: IConstruct) => {
        for (const entry of c.node.metadata) {
          if (entry.type !== Validations.ACKNOWLEDGED_RULES_METADATA_KEY) continue;
          for (const [id, reason] of Object.entries(entry.data as Record<string, string>)) acknowledgements.push({ path: c.node.path, id, reason });
        }
        c.node.children.forEach(walk);
      };
      walk(synth.app);
      expect(acknowledgements.length).toBeGreaterThan(0);
      for (const a of acknowledgements) {
        expect(a.reason).toMatch(/\w+ \w+ \w+ \w+/);
      }
    });
  });

  describe('stateful stack', () => {
    it('declares the table the repository expects, with PITR, encryption and retention', () => {
      const tables = stateful.findResources('AWS::DynamoDB::Table');
      expect(Object.keys(tables)).toHaveLength(1);
      const [table] = Object.values(tables) as any[];
      expect(table.DeletionPolicy).toBe('RetainExceptOnCreate');
      expect(table.UpdateReplacePolicy).toBe('Retain');

      const expected = letterTableDefinition('ignored');
      const props = table.Properties;
      expect(props.BillingMode).toBe('PAY_PER_REQUEST');
      expect(props.KeySchema).toEqual(expected.KeySchema);
      expect(new Set(props.AttributeDefinitions.map((a: any) => `${a.AttributeName}:${a.AttributeType}`))).toEqual(
        new Set(expected.AttributeDefinitions!.map((a) => `${a.AttributeName}:${a.AttributeType}`)),
      );
      const byName = (indexes: any[]) => Object.fromEntries(indexes.map((i) => [i.IndexName, { KeySchema: i.KeySchema, Projection: i.Projection }]));
      expect(byName(props.GlobalSecondaryIndexes)).toEqual(byName(expected.GlobalSecondaryIndexes!));
      expect(Object.keys(byName(props.GlobalSecondaryIndexes)).sort()).toEqual(['byAuthority', 'byDate', 'byStatus']);
      expect(props.PointInTimeRecoverySpecification).toEqual({ PointInTimeRecoveryEnabled: true });
      expect(props.SSESpecification).toEqual({ SSEEnabled: true });
      // Protected by a custom resource created after everything else: protected from its creation,
      // the table would make a failed first create's rollback fail.
      expect(props.DeletionProtectionEnabled).toBeUndefined();
      const [tableId] = Object.keys(tables);
      const protection = Object.values(stateful.findResources('Custom::AWS')) as any[];
      expect(protection).toHaveLength(1);
      const create = JSON.parse(JSON.stringify(protection[0].Properties.Create));
      expect(JSON.stringify(create)).toContain('updateTable');
      expect(JSON.stringify(create)).toContain('DeletionProtectionEnabled');
      expect(JSON.stringify(create)).toContain(tableId);
      const dependsOn: string[] = protection[0].DependsOn;
      for (const type of ['AWS::DynamoDB::Table', 'AWS::S3::Bucket', 'AWS::Cognito::UserPool', 'AWS::SES::EmailIdentity', 'AWS::Cognito::UserPoolDomain']) {
        for (const id of Object.keys(stateful.findResources(type))) expect(dependsOn).toContain(id);
      }
    });

    it('retains the table, buckets and user pool on update or delete, but not after a failed first create', () => {
      for (const type of ['AWS::DynamoDB::Table', 'AWS::S3::Bucket', 'AWS::Cognito::UserPool']) {
        const found = Object.values(stateful.findResources(type)) as any[];
        expect(found.length).toBeGreaterThan(0);
        for (const r of found) {
          expect(r.DeletionPolicy).toBe('RetainExceptOnCreate');
          expect(r.UpdateReplacePolicy).toBe('Retain');
        }
      }
      // Deletion protection on the pool would block that rollback too.
      const [pool] = Object.values(stateful.findResources('AWS::Cognito::UserPool')) as any[];
      expect(pool.Properties.DeletionProtection).not.toBe('ACTIVE');
    });

    it('locks, versions, encrypts, logs and retains the archive bucket', () => {
      const archive = Object.entries(stateful.findResources('AWS::S3::Bucket')).find(([, b]: any) => b.Properties.ObjectLockEnabled);
      expect(archive).toBeDefined();
      const [archiveId, bucket] = archive as [string, any];
      expect(bucket.DeletionPolicy).toBe('RetainExceptOnCreate');
      expect(bucket.UpdateReplacePolicy).toBe('Retain');
      expect(bucket.Properties.VersioningConfiguration).toEqual({ Status: 'Enabled' });
      expect(bucket.Properties.ObjectLockConfiguration).toEqual({
        ObjectLockEnabled: 'Enabled',
        Rule: { DefaultRetention: { Mode: 'GOVERNANCE', Days: 2557 } },
      });
      expect(bucket.Properties.PublicAccessBlockConfiguration).toEqual({
        BlockPublicAcls: true,
        BlockPublicPolicy: true,
        IgnorePublicAcls: true,
        RestrictPublicBuckets: true,
      });
      expect(bucket.Properties.BucketEncryption.ServerSideEncryptionConfiguration[0].ServerSideEncryptionByDefault.SSEAlgorithm).toBe('AES256');
      expect(bucket.Properties.LoggingConfiguration).toEqual({
        DestinationBucketName: { Ref: expect.stringMatching(/^ArchiveAccessLogs/) },
        LogFilePrefix: 'archive/',
      });

      // TLS only: requests without TLS, or with TLS older than 1.2, are denied for everyone.
      const policy = Object.values(stateful.findResources('AWS::S3::BucketPolicy')).find(
        (p: any) => p.Properties.Bucket.Ref === archiveId,
      ) as any;
      const denies = policy.Properties.PolicyDocument.Statement.filter((s: any) => s.Effect === 'Deny');
      expect(denies).toEqual(
        expect.arrayContaining([
          expect.objectContaining({ Action: 's3:*', Principal: { AWS: '*' }, Condition: { Bool: { 'aws:SecureTransport': 'false' } } }),
          expect.objectContaining({ Action: 's3:*', Principal: { AWS: '*' }, Condition: { NumericLessThan: { 's3:TlsVersion': 1.2 } } }),
        ]),
      );
    });

    it('takes the Object Lock mode and retention from context', () => {
      const other = synthesize({ archiveLockMode: 'COMPLIANCE', archiveRetentionDays: 30 });
      try {
        Template.fromJSON(other.assembly.getStackByName(STACK_NAMES.stateful).template).hasResourceProperties('AWS::S3::Bucket', {
          ObjectLockConfiguration: { ObjectLockEnabled: 'Enabled', Rule: { DefaultRetention: { Mode: 'COMPLIANCE', Days: 30 } } },
        });
      } finally {
        rmSync(other.outdir, { recursive: true, force: true });
      }
    });

    it('has an SES domain identity with Easy DKIM and a custom MAIL FROM, and a configuration set that sends every event to an encrypted SNS topic', () => {
      stateful.hasResourceProperties('AWS::SES::EmailIdentity', {
        EmailIdentity: 'letters.example.gov.uk',
        DkimAttributes: { SigningEnabled: true },
        DkimSigningAttributes: { NextSigningKeyLength: 'RSA_2048_BIT' },
        MailFromAttributes: { MailFromDomain: 'mail.letters.example.gov.uk' },
      });
      stateful.resourceCountIs('AWS::SES::EmailIdentity', 1);
      stateful.hasResourceProperties('AWS::SES::ConfigurationSet', { DeliveryOptions: { TlsPolicy: 'REQUIRE' } });
      const topics = stateful.findResources('AWS::SNS::Topic');
      const [topicId, topic] = Object.entries(topics)[0] as [string, any];
      expect(topic.Properties.KmsMasterKeyId).toBeDefined();
      stateful.hasResourceProperties('AWS::SES::ConfigurationSetEventDestination', {
        EventDestination: {
          Enabled: true,
          MatchingEventTypes: Match.arrayWith(['send', 'delivery', 'bounce', 'complaint', 'reject']),
          SnsDestination: { TopicARN: { Ref: topicId } },
        },
      });
      // SES may publish to the topic (and use its key), from this account only.
      stateful.hasResourceProperties('AWS::SNS::TopicPolicy', {
        PolicyDocument: {
          Statement: Match.arrayWith([
            Match.objectLike({ Action: 'sns:Publish', Effect: 'Allow', Principal: { Service: 'ses.amazonaws.com' } }),
          ]),
        },
      });
    });

    it('keeps users in a retained, invitation-only pool with MFA and the three groups', () => {
      const pools = stateful.findResources('AWS::Cognito::UserPool');
      const [pool] = Object.values(pools) as any[];
      expect(pool.DeletionPolicy).toBe('RetainExceptOnCreate');
      expect(pool.Properties.AdminCreateUserConfig.AllowAdminCreateUserOnly).toBe(true);
      expect(pool.Properties.MfaConfiguration).toBe('ON');
      const groups = Object.values(stateful.findResources('AWS::Cognito::UserPoolGroup')).map((g: any) => g.Properties.GroupName);
      expect(groups.sort()).toEqual(['inspector', 'manager', 'reader']);
      stateful.hasResourceProperties('AWS::Cognito::UserPoolDomain', { Domain: 'test-inspection-letters' });
    });
  });

  describe('stateless stack', () => {
    const fn = (name: keyof ReturnType<typeof synthesize>['stateless']['functions']) => {
      const id = logicalId(synth.stateless, synth.stateless.functions[name]);
      return { id, props: statelessResources[id].Properties };
    };

    it('runs every function on Node 22, x86_64 where Chromium runs and arm64 elsewhere', () => {
      const expected = { api: 'arm64', preview: 'x86_64', render: 'x86_64', distribute: 'arm64', events: 'arm64', sweeper: 'arm64' } as const;
      for (const [name, arch] of Object.entries(expected)) {
        const { props } = fn(name as keyof typeof expected);
        expect(props.Runtime).toBe('nodejs22.x');
        expect(props.Architectures).toEqual([arch]);
        // X-Ray is off: nothing instruments the clients, and Powertools Tracer would add its SDK to every bundle.
        expect(props.TracingConfig).toBeUndefined();
        expect(props.Environment.Variables.NODE_OPTIONS).toBe('--enable-source-maps');
        expect(props.Environment.Variables.POWERTOOLS_SERVICE_NAME).toBe('inspection-letters');
      }
      // Ours, and CDK's helper that applies the log groups' retention.
      expect(Object.keys(statelessResources).filter((id) => statelessResources[id].Type === 'AWS::Lambda::Function')).toHaveLength(6);
    });

    it('gives the Chromium layer to render and preview only, with enough memory and a render timeout', () => {
      const layers = stateless.findResources('AWS::Lambda::LayerVersion');
      const [layerId, layer] = Object.entries(layers)[0] as [string, any];
      expect(Object.keys(layers)).toHaveLength(1);
      expect(layer.Properties.CompatibleArchitectures).toEqual(['x86_64']);
      expect(layer.Properties.CompatibleRuntimes).toEqual(['nodejs22.x']);
      for (const name of ['render', 'preview'] as const) {
        const { props } = fn(name);
        expect(props.Layers).toEqual([{ Ref: layerId }]);
        expect(props.MemorySize).toBeGreaterThanOrEqual(1600);
        expect(props.Environment.Variables.CHROMIUM_SINGLE_PROCESS).toBe('true');
        expect(props.Environment.Variables.CHROMIUM_BIN_DIR).toBe('/opt/chromium');
      }
      const withLayers = Object.values(statelessResources).filter((r) => r.Type === 'AWS::Lambda::Function' && r.Properties.Layers);
      expect(withLayers).toHaveLength(2);
      for (const name of ['api', 'distribute', 'events', 'sweeper'] as const) {
        expect(fn(name).props.Layers).toBeUndefined();
        expect(fn(name).props.Environment.Variables.CHROMIUM_BIN_DIR).toBeUndefined();
      }
      expect(fn('render').props.Timeout).toBeGreaterThanOrEqual(60);
      expect(fn('preview').props.Timeout).toBeLessThanOrEqual(29);
      expect(fn('api').props.Timeout).toBeLessThanOrEqual(29);
      expect(fn('api').props.MemorySize).toBeLessThan(fn('preview').props.MemorySize);
    });

    it('ships the templates, fonts and GOV.UK Frontend to the functions that use them, where the handlers look', () => {
      for (const name of ['api', 'preview', 'render'] as const) {
        const vars = fn(name).props.Environment.Variables;
        expect(vars.TEMPLATES_DIR).toBe('/var/task/templates');
        // A folder @sparticuz/chromium's fonts.conf lists.
        expect(vars.FONTS_DIR).toBe('/var/task/fonts/arimo');
      }
      for (const name of ['distribute', 'events', 'sweeper'] as const) expect(fn(name).props.Environment.Variables.TEMPLATES_DIR).toBeUndefined();
      expect(fn('api').props.Environment.Variables.GOVUK_FRONTEND_DIR).toBe('/var/task/node_modules/govuk-frontend/dist');
      expect(fn('api').props.Environment.Variables.SWAGGER_UI_DIR).toBe('/var/task/node_modules/swagger-ui-dist');
    });

    it('passes the configuration each handler reads', () => {
      const vars = (name: 'api' | 'render' | 'distribute' | 'events') => fn(name).props.Environment.Variables;
      for (const name of ['api', 'render', 'distribute', 'events'] as const) {
        expect(Object.keys(vars(name))).toEqual(expect.arrayContaining(['TABLE_NAME', 'ARCHIVE_BUCKET', 'AUTH_MODE']));
      }
      expect(vars('api')).toMatchObject({
        AUTH_MODE: 'apigateway',
        RENDER_QUEUE_URL: { Ref: expect.stringMatching(/^RenderQueue/) },
        DISTRIBUTE_QUEUE_URL: { Ref: expect.stringMatching(/^DistributeQueue/) },
        JWT_AUDIENCE: { Ref: expect.stringMatching(/^FormsClient/) },
      });
      expect(JSON.stringify(vars('api').JWT_ISSUER)).toContain('https://cognito-idp.eu-west-2.amazonaws.com/');
      expect(JSON.stringify(vars('api').JWT_JWKS_URL)).toContain('/.well-known/jwks.json');
      expect(vars('api')).toMatchObject({
        SIGN_IN_MODE: 'cognito',
        COGNITO_HOSTED_UI_URL: 'https://test-inspection-letters.auth.eu-west-2.amazoncognito.com',
        COGNITO_CLIENT_ID: { Ref: expect.stringMatching(/^FormsClient/) },
      });
      // The cursor key is resolved from Secrets Manager at deploy time, never written into the template.
      expect(JSON.stringify(vars('api').CURSOR_KEY)).toMatch(/\{\{resolve:secretsmanager:.*CursorKey/);
      expect(JSON.stringify(fn('sweeper').props.Environment.Variables.CURSOR_KEY)).toMatch(/\{\{resolve:secretsmanager:.*CursorKey/);
      expect(vars('render').CURSOR_KEY).toBeUndefined();
      expect(vars('render')).toMatchObject({ DISTRIBUTE_QUEUE_URL: { Ref: expect.stringMatching(/^DistributeQueue/) }, MAX_RECEIVE_COUNT: '5' });
      expect(vars('render').RENDER_QUEUE_URL).toBeUndefined();
      expect(vars('distribute')).toMatchObject({
        MAIL_FROM: 'letters@letters.example.gov.uk',
        SES_CONFIGURATION_SET: expect.anything(),
        MAX_RECEIVE_COUNT: '8',
        STALE_CLAIM_SECONDS: '180',
      });
      expect(vars('events').MAIL_FROM).toBeUndefined();
    });

    it('feeds the render and distribute queues to their functions with DLQs and partial batch failures', () => {
      const queues = stateless.findResources('AWS::SQS::Queue');
      const idOf = (prefix: string) => Object.keys(queues).find((id) => id.startsWith(prefix))!;
      const wiring = [
        { queue: 'RenderQueue', dlq: 'RenderDlq', fn: 'render', maxReceiveCount: 5 },
        { queue: 'DistributeQueue', dlq: 'DistributeDlq', fn: 'distribute', maxReceiveCount: 8 },
      ] as const;
      for (const w of wiring) {
        const queue = queues[idOf(w.queue)] as any;
        expect(queue.Properties.RedrivePolicy).toEqual({
          deadLetterTargetArn: { 'Fn::GetAtt': [idOf(w.dlq), 'Arn'] },
          maxReceiveCount: w.maxReceiveCount,
        });
        // Lambda's guidance: visibility at least six times the function timeout.
        expect(queue.Properties.VisibilityTimeout).toBeGreaterThanOrEqual(6 * fn(w.fn).props.Timeout);
        expect(queue.Properties.SqsManagedSseEnabled).toBe(true);
        stateless.hasResourceProperties('AWS::Lambda::EventSourceMapping', {
          EventSourceArn: { 'Fn::GetAtt': [idOf(w.queue), 'Arn'] },
          FunctionName: { Ref: fn(w.fn).id },
          FunctionResponseTypes: ['ReportBatchItemFailures'],
          // Far below a new account's 10 concurrent executions, and no reserved concurrency.
          ScalingConfig: { MaximumConcurrency: 2 },
        });
        expect(fn(w.fn).props.ReservedConcurrentExecutions).toBeUndefined();
        expect(fn(w.fn).props.Environment.Variables.SOURCE_QUEUE_URL).toEqual({ Ref: idOf(w.queue) });
      }
      stateless.resourceCountIs('AWS::Lambda::EventSourceMapping', 2);
      for (const dlq of ['RenderDlq', 'DistributeDlq', 'RecordDeliveryEventDlq']) {
        expect((queues[idOf(dlq)] as any).Properties.MessageRetentionPeriod).toBe(14 * 24 * 3600);
      }
      // Every queue refuses requests without TLS.
      const queuePolicies = Object.values(stateless.findResources('AWS::SQS::QueuePolicy')) as any[];
      expect(queuePolicies).toHaveLength(Object.keys(queues).length);
      for (const p of queuePolicies) {
        expect(p.Properties.PolicyDocument.Statement).toEqual(
          expect.arrayContaining([expect.objectContaining({ Effect: 'Deny', Condition: { Bool: { 'aws:SecureTransport': 'false' } } })]),
        );
      }
    });

    it('subscribes the events function to the SES event topic, with its own dead-letter queue', () => {
      stateless.hasResourceProperties('AWS::SNS::Subscription', {
        Protocol: 'lambda',
        Endpoint: { 'Fn::GetAtt': [fn('events').id, 'Arn'] },
      });
      expect(fn('events').props.DeadLetterConfig).toEqual({
        TargetArn: { 'Fn::GetAtt': [expect.stringMatching(/^RecordDeliveryEventDlq/), 'Arn'] },
      });
    });

    it('puts the Cognito JWT authorizer on every /api route and on nothing else', () => {
      const OPEN_PATHS = ['/health', '/api/openapi.json', '/api/docs', '/api/docs/{file}', '/api/verify/{sha256}'];
      const authorizers = Object.entries(stateless.findResources('AWS::ApiGatewayV2::Authorizer')) as [string, any][];
      expect(authorizers).toHaveLength(1);
      const [authorizerId, authorizer] = authorizers[0];
      expect(authorizer.Properties.AuthorizerType).toBe('JWT');
      expect(JSON.stringify(authorizer.Properties.JwtConfiguration.Issuer)).toContain('https://cognito-idp.eu-west-2.amazonaws.com/');
      expect(authorizer.Properties.JwtConfiguration.Audience).toEqual([{ Ref: expect.stringMatching(/^FormsClient/) }]);

      const routes = (Object.values(stateless.findResources('AWS::ApiGatewayV2::Route')) as any[]).map((r) => r.Properties);
      const keys = routes.map((r) => r.RouteKey).sort();
      expect(keys).toEqual(
        [
          'ANY /api',
          'ANY /api/{proxy+}',
          'GET /api/letters/{id}/preview.pdf',
          'HEAD /api/letters/{id}/preview.pdf',
          'GET /letters/{id}/preview.pdf',
          'HEAD /letters/{id}/preview.pdf',
          'ANY /{proxy+}',
          'GET /',
          'POST /',
          ...OPEN_PATHS.flatMap((path) => [`GET ${path}`, `HEAD ${path}`]),
        ].sort(),
      );
      // Open for HEAD as for GET: a HEAD without its own route would fall to ANY /api/{proxy+} and its authorizer.
      const open = new Set(OPEN_PATHS.flatMap((path) => [`GET ${path}`, `HEAD ${path}`]));
      for (const route of routes) {
        const path = route.RouteKey.split(' ')[1];
        if (open.has(route.RouteKey)) {
          expect(route.AuthorizationType).toBe('NONE');
        } else if (path === '/api' || path.startsWith('/api/')) {
          expect(route).toMatchObject({ AuthorizationType: 'JWT', AuthorizerId: { Ref: authorizerId } });
        } else {
          expect(route.AuthorizationType).toBe('NONE');
        }
      }
      // Two integrations: DRAFT PDFs to the preview function, everything else to the api function.
      const integrations = stateless.findResources('AWS::ApiGatewayV2::Integration') as Record<string, any>;
      expect(Object.keys(integrations)).toHaveLength(2);
      const target = (routeKey: string) => {
        const route = routes.find((r) => r.RouteKey === routeKey)!;
        const integrationId = route.Target['Fn::Join'][1][1].Ref;
        return integrations[integrationId].Properties.IntegrationUri['Fn::GetAtt'][0];
      };
      expect(target('GET /api/letters/{id}/preview.pdf')).toBe(fn('preview').id);
      expect(target('GET /letters/{id}/preview.pdf')).toBe(fn('preview').id);
      // HEAD as well: the api function has no browser, so a HEAD sent there could only fail.
      expect(target('HEAD /api/letters/{id}/preview.pdf')).toBe(fn('preview').id);
      expect(target('HEAD /letters/{id}/preview.pdf')).toBe(fn('preview').id);
      for (const key of keys.filter((k) => !k.endsWith('preview.pdf'))) expect(target(key)).toBe(fn('api').id);
      stateless.hasResourceProperties('AWS::ApiGatewayV2::Stage', {
        StageName: '$default',
        AutoDeploy: true,
        AccessLogSettings: { DestinationArn: Match.anyValue(), Format: Match.stringLikeRegexp('requestId') },
      });
    });

    it('registers a public sign-in client that uses the code flow back to the API', () => {
      stateless.hasResourceProperties('AWS::Cognito::UserPoolClient', {
        GenerateSecret: false,
        AllowedOAuthFlows: ['code'],
        CallbackURLs: [Match.objectLike({ 'Fn::Join': Match.anyValue() })],
      });
    });

    it('gives the DfE address from the context to the functions that draft and approve letters, and to no other', () => {
      for (const name of ['api', 'preview'] as const) {
        expect(fn(name).props.Environment.Variables).toMatchObject({
          DFE_EMAIL: DFE.dfeEmail,
          DFE_NAME: DFE.dfeName,
          DFE_ORGANISATION: 'Department for Education',
        });
      }
      for (const name of ['render', 'distribute', 'events'] as const) expect(fn(name).props.Environment.Variables.DFE_EMAIL).toBeUndefined();
    });

    it('lets nobody change their own name, email or groups through the sign-in client', () => {
      const clients = Object.values(stateless.findResources('AWS::Cognito::UserPoolClient'));
      expect(clients).toHaveLength(1);
      for (const client of clients) {
        const writable: string[] = client.Properties.WriteAttributes;
        // Left out or empty, Cognito lets the client write every standard attribute.
        expect(writable?.length).toBeGreaterThan(0);
        expect(writable).not.toContain('name');
        expect(writable).not.toContain('email');
        expect(writable.filter((a) => a.startsWith('custom:') || /group/i.test(a))).toEqual([]);
        expect(client.Properties.ReadAttributes).toContain('name');
      }
    });

    it('alarms on every dead-letter queue, every function error and render duration near the timeout', () => {
      const alarms = Object.values(stateless.findResources('AWS::CloudWatch::Alarm')).map((a: any) => a.Properties);
      const topic = Object.keys(stateless.findResources('AWS::SNS::Topic'))[0];
      for (const alarm of alarms) expect(alarm.AlarmActions).toEqual([{ Ref: topic }]);

      const queues = Object.keys(stateless.findResources('AWS::SQS::Queue'));
      for (const dlq of queues.filter((q) => /Dlq/.test(q))) {
        expect(
          alarms.some(
            (a) =>
              a.MetricName === 'ApproximateNumberOfMessagesVisible' &&
              a.Threshold === 0 &&
              a.ComparisonOperator === 'GreaterThanThreshold' &&
              JSON.stringify(a.Dimensions).includes(dlq),
          )).toBe(true);
      }
      for (const name of ['api', 'preview', 'render', 'distribute', 'events', 'sweeper'] as const) {
        expect(
          alarms.some((a) => a.MetricName === 'Errors' && a.Namespace === 'AWS/Lambda' && JSON.stringify(a.Dimensions).includes(fn(name).id))).toBe(true);
      }
      const duration = alarms.find((a) => a.MetricName === 'Duration');
      expect(duration).toMatchObject({ ExtendedStatistic: 'p95', Namespace: 'AWS/Lambda' });
      expect(JSON.stringify(duration.Dimensions)).toContain(fn('render').id);
      const timeoutMs = fn('render').props.Timeout * 1000;
      expect(duration.Threshold).toBeLessThan(timeoutMs);
      expect(duration.Threshold).toBeGreaterThanOrEqual(timeoutMs * 0.5);
    });

    it('alarms on queue age, SES bounce and complaint rates and API 5xx', () => {
      const alarms = Object.values(stateless.findResources('AWS::CloudWatch::Alarm')).map((a: any) => a.Properties);
      for (const queue of ['RenderQueue', 'DistributeQueue']) {
        const age = alarms.find((a) => a.MetricName === 'ApproximateAgeOfOldestMessage' && JSON.stringify(a.Dimensions).includes(queue));
        expect(age).toMatchObject({ Namespace: 'AWS/SQS', Statistic: 'Maximum', ComparisonOperator: 'GreaterThanThreshold' });
        expect(age.Threshold).toBeGreaterThanOrEqual(600);
      }
      const bounce = alarms.find((a) => a.MetricName === 'Reputation.BounceRate');
      expect(bounce).toMatchObject({ Namespace: 'AWS/SES' });
      expect(bounce.Threshold).toBeLessThan(0.05);
      const complaint = alarms.find((a) => a.MetricName === 'Reputation.ComplaintRate');
      expect(complaint).toMatchObject({ Namespace: 'AWS/SES' });
      expect(complaint.Threshold).toBeLessThan(0.001);
      const api5xx = alarms.find((a) => a.MetricName === '5xx');
      expect(api5xx).toMatchObject({ Namespace: 'AWS/ApiGateway', Threshold: 0 });
      expect(JSON.stringify(api5xx.Dimensions)).toContain('HttpApi');
    });

    it('runs the sweeper every five minutes on a schedule, with the queues it sends to', () => {
      const rules = Object.values(stateless.findResources('AWS::Events::Rule')) as any[];
      expect(rules).toHaveLength(1);
      expect(rules[0].Properties).toMatchObject({ ScheduleExpression: 'rate(5 minutes)', State: 'ENABLED' });
      expect(rules[0].Properties.Targets).toEqual([expect.objectContaining({ Arn: { 'Fn::GetAtt': [fn('sweeper').id, 'Arn'] } })]);
      stateless.hasResourceProperties('AWS::Lambda::Permission', {
        Principal: 'events.amazonaws.com',
        FunctionName: { 'Fn::GetAtt': [fn('sweeper').id, 'Arn'] },
      });
      expect(fn('sweeper').props.Environment.Variables).toMatchObject({
        RENDER_QUEUE_URL: { Ref: expect.stringMatching(/^RenderQueue/) },
        DISTRIBUTE_QUEUE_URL: { Ref: expect.stringMatching(/^DistributeQueue/) },
        SWEEP_AFTER_SECONDS: '600',
      });
    });
  });

  describe('least privilege', () => {
    it('grants no action on "*" except those AWS only authorises on "*"', () => {
      // KMS key policies are left out: there "*" means the key the policy is attached to.
      const all = [...statements(statefulResources), ...statements(statelessResources)];
      expect(all.length).toBeGreaterThan(10);
      const offenders = all.filter(({ statement }) => {
        if (statement.Effect !== 'Allow') return false;
        if (!asArray(statement.Resource).includes('*')) return false;
        return !asArray<string>(statement.Action).every((action) => action in ACTIONS_ONLY_ON_STAR);
      });
      expect(offenders).toEqual([]);
      expect(all.flatMap(({ statement }) => asArray<string>(statement.Action)).filter((a) => a.startsWith('xray:'))).toEqual([]);
      for (const { statement } of all) {
        if (statement.Effect === 'Allow') expect(asArray<string>(statement.Action).some((a) => a.endsWith(':*') || a === '*')).toBe(false);
      }
    });

    const actionsOf = (name: 'api' | 'preview' | 'render' | 'distribute' | 'events') => {
      const role = synth.stateless.functions[name].role!;
      const roleId = synth.stateless.getLogicalId(role.node.defaultChild as any);
      const granted = statements(statelessResources).filter(({ resource }) => {
        const policy = statelessResources[resource];
        return policy.Type === 'AWS::IAM::Policy' && policy.Properties.Roles.some((r: any) => r.Ref === roleId);
      });
      return granted.flatMap(({ statement }) => asArray<string>(statement.Action).map((action) => ({ action, statement })));
    };
    const service = (name: Parameters<typeof actionsOf>[0], prefix: string) =>
      [...new Set(actionsOf(name).map((a) => a.action).filter((a) => a.startsWith(prefix)))].sort();

    it('gives each function exactly the table, bucket, queue and mail actions it uses', () => {
      expect(service('api', 'dynamodb:')).toEqual(['dynamodb:PutItem', 'dynamodb:Query', 'dynamodb:UpdateItem']);
      expect(service('preview', 'dynamodb:')).toEqual(['dynamodb:DeleteItem', 'dynamodb:PutItem', 'dynamodb:Query']);
      expect(service('render', 'dynamodb:')).toEqual(['dynamodb:Query', 'dynamodb:UpdateItem']);
      expect(service('distribute', 'dynamodb:')).toEqual(['dynamodb:Query', 'dynamodb:UpdateItem']);
      expect(service('events', 'dynamodb:')).toEqual(['dynamodb:UpdateItem']);

      expect(service('api', 's3:')).toEqual(['s3:GetObject']);
      expect(service('render', 's3:')).toEqual(['s3:PutObject']);
      expect(service('distribute', 's3:')).toEqual(['s3:GetObject']);
      expect(service('events', 's3:')).toEqual([]);

      expect(service('api', 'sqs:')).toEqual(['sqs:SendMessage']);
      expect(service('render', 'sqs:')).toEqual(
        ['sqs:ChangeMessageVisibility', 'sqs:DeleteMessage', 'sqs:GetQueueAttributes', 'sqs:GetQueueUrl', 'sqs:ReceiveMessage', 'sqs:SendMessage'].sort(),
      );
      expect(service('events', 'sqs:')).toEqual(['sqs:SendMessage']);

      expect(service('distribute', 'ses:')).toEqual(['ses:SendRawEmail']);
      for (const name of ['api', 'render', 'events'] as const) expect(service(name, 'ses:')).toEqual([]);
      for (const name of ['api', 'render', 'distribute', 'events'] as const) {
        expect(service(name, 'logs:')).toEqual(['logs:CreateLogStream', 'logs:PutLogEvents']);
      }
    });

    it('scopes index queries to the three indexes and mail to one sender through one configuration set', () => {
      const query = actionsOf('api').find((a) => a.action === 'dynamodb:Query')!.statement;
      const resources = JSON.stringify(query.Resource);
      for (const index of ['byDate', 'byAuthority', 'byStatus']) expect(resources).toContain(`/index/${index}`);
      expect(resources).not.toContain('/index/*');
      expect(JSON.stringify(actionsOf('render').find((a) => a.action === 'dynamodb:Query')!.statement.Resource)).not.toContain('/index/');

      const send = actionsOf('distribute').find((a) => a.action === 'ses:SendRawEmail')!.statement;
      expect(send.Condition).toEqual({ StringEquals: { 'ses:FromAddress': 'letters@letters.example.gov.uk' } });
      expect(JSON.stringify(send.Resource)).toContain('identity/letters.example.gov.uk');
      expect(asArray(send.Resource)).toHaveLength(2);
      expect(JSON.stringify(send.Resource)).toContain('configuration-set/');
    });

    it('lets each function write only to its own log group', () => {
      for (const name of ['api', 'render', 'distribute', 'events'] as const) {
        const logs = actionsOf(name).filter((a) => a.action.startsWith('logs:'));
        const own = synth.stateless.getLogicalId(synth.stateless.functions[name].logGroup.node.defaultChild as any);
        for (const { statement } of logs) expect(statement.Resource).toEqual({ 'Fn::GetAtt': [own, 'Arn'] });
        const role = statelessResources[synth.stateless.getLogicalId(synth.stateless.functions[name].role!.node.defaultChild as any)];
        expect(role.Properties.ManagedPolicyArns).toBeUndefined();
      }
    });
  });
});


describe('settings', () => {
  const settingsFrom = (context: Record<string, unknown>) => readSettings(new App({ context }).node, {});

  it('defaults to eu-west-2, a sender in the SES domain and governance-mode retention', () => {
    expect(settingsFrom(REQUIRED)).toMatchObject({
      region: 'eu-west-2',
      account: undefined,
      mailFrom: 'letters@letters.example.gov.uk',
      mailFromDomain: 'mail.letters.example.gov.uk',
      archiveLockMode: 'GOVERNANCE',
    });
  });

  it('stops synthesis without a Cognito domain prefix or an SES domain, naming the context keys', () => {
    expect(() => settingsFrom({})).toThrow(/Missing CDK context cognitoDomainPrefix and sesDomain/);
    expect(() => settingsFrom({ sesDomain: 'letters.example.gov.uk' })).toThrow(/Missing CDK context cognitoDomainPrefix:.*-c cognitoDomainPrefix=/);
    expect(() => settingsFrom({ cognitoDomainPrefix: 'test-letters' })).toThrow(/Missing CDK context sesDomain:/);
    // As the CLI runs it: cdk.json's context alone is not enough.
    const outdir = mkdtempSync(join(tmpdir(), 'cdk-test-'));
    try {
      expect(() => defineInspectionLetters(new App({ outdir, context: cdkJsonContext() }))).toThrow(/cognitoDomainPrefix and sesDomain/);
    } finally {
      rmSync(outdir, { recursive: true, force: true });
    }
  });

  it('refuses settings that would fail later, in AWS', () => {
    expect(() => settingsFrom({ ...REQUIRED, mailFrom: 'not-an-address' })).toThrow(/mailFrom/);
    expect(() => settingsFrom({ ...REQUIRED, mailFrom: 'a@one.gov.uk', sesDomain: 'other.gov.uk' })).toThrow(/sesDomain/);
    expect(() => settingsFrom({ ...REQUIRED, sesDomain: 'not a domain' })).toThrow(/sesDomain/);
    expect(() => settingsFrom({ ...REQUIRED, dfeEmail: 'letters@education.example' })).toThrow(/dfeEmail and dfeName go together/);
    expect(() => settingsFrom({ ...REQUIRED, dfeEmail: 'not an address', dfeName: 'A' })).toThrow(/dfeEmail/);
    expect(settingsFrom({ ...REQUIRED }).dfe).toBeUndefined();
    expect(() => settingsFrom({ ...REQUIRED, archiveLockMode: 'LEGAL_HOLD' })).toThrow(/archiveLockMode/);
    expect(() => settingsFrom({ ...REQUIRED, archiveRetentionDays: 0 })).toThrow(/archiveRetentionDays/);
    expect(() => settingsFrom({ ...REQUIRED, cognitoDomainPrefix: 'my-cognito-login' })).toThrow(/cognitoDomainPrefix/);
  });
});
