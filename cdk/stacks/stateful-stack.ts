import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
import { AwsCustomResource, AwsCustomResourcePolicy, PhysicalResourceId } from 'aws-cdk-lib/custom-resources';
import {
  AccountRecovery,
  FeaturePlan,
  Mfa,
  UserPool,
  UserPoolGroup,
} from 'aws-cdk-lib/aws-cognito';
import { AttributeType, BillingMode, ProjectionType, Table, TableEncryption } from 'aws-cdk-lib/aws-dynamodb';
import { PolicyStatement, ServicePrincipal } from 'aws-cdk-lib/aws-iam';
import { Key } from 'aws-cdk-lib/aws-kms';
import {
  BlockPublicAccess,
  Bucket,
  BucketEncryption,
  ObjectLockRetention,
  ObjectOwnership,
} from 'aws-cdk-lib/aws-s3';
import {
  ConfigurationSet,
  ConfigurationSetTlsPolicy,
  DkimIdentity,
  EasyDkimSigningKeyLength,
  EmailIdentity,
  EmailSendingEvent,
  EventDestination,
  Identity,
  MailFromBehaviorOnMxFailure,
  SuppressionReasons,
} from 'aws-cdk-lib/aws-ses';
import { Topic } from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
import { indexProjection } from '../../lambdas/adapters/dynamodb/letter-table';
import { acknowledge } from '../nag';
import type { Settings } from '../settings';

/** The letter search indexes: every one is sorted by letter date and projects the whole letter. */
export const LETTER_INDEXES = {
  byDate: 'listPk',
  byAuthority: 'authorityKey',
  byStatus: 'status',
} as const;
export const LETTER_INDEX_SORT_KEY = 'listSk';

/** The groups a token's `cognito:groups` claim carries; the handlers map them to roles. */
export const USER_GROUPS = {
  inspector: 'Create and edit drafts, submit them for approval',
  manager: 'Everything an inspector can do, plus return, approve and redistribute letters',
  reader: 'Search, read and retrieve archived letters only',
} as const;

/** Outputs other stacks read by name. */
export const STATEFUL_OUTPUTS = {
  archiveBucketArn: 'ArchiveBucketArn',
} as const;

export interface StatefulStackProps extends StackProps {
  readonly settings: Settings;
}

/**
 * Kept when the stack is deleted or a resource would be replaced, but removed when the stack's
 * first create fails and rolls back: a failed first deployment leaves nothing behind to collide
 * with the next attempt.
 */
const STATEFUL = RemovalPolicy.RETAIN_ON_UPDATE_OR_DELETE;

/** The id CDK gives the one function behind every AwsCustomResource in a stack. */
const AWS_CUSTOM_RESOURCE_PROVIDER_ID = 'AWS679f53fac002430cb0da5b7982bd2287';

/**
 * What must outlive any redeployment: letters, the archive, the sender identity and the
 * people who sign in. The table, buckets and user pool are retained when the stack is deleted.
 */
export class StatefulStack extends Stack {
  readonly table: Table;
  readonly archiveBucket: Bucket;
  readonly emailIdentity: EmailIdentity;
  readonly configurationSet: ConfigurationSet;
  /** SES sending events (delivery, bounce, complaint...) for the events function. */
  readonly mailEventsTopic: Topic;
  readonly userPool: UserPool;
  readonly mailFrom: string;

  constructor(scope: Construct, id: string, props: StatefulStackProps) {
    super(scope, id, props);
    const { settings } = props;
    this.mailFrom = settings.mailFrom;

    this.table = new Table(this, 'Letters', {
      partitionKey: { name: 'pk', type: AttributeType.STRING },
      sortKey: { name: 'sk', type: AttributeType.STRING },
      billingMode: BillingMode.PAY_PER_REQUEST,
      encryption: TableEncryption.AWS_MANAGED,
      pointInTimeRecoverySpecification: { pointInTimeRecoveryEnabled: true },
      // Turned on by TableDeletionProtection below, once everything else exists: protected from
      // its creation, the table would make a failed first create's rollback fail.
      removalPolicy: STATEFUL,
      // Rate-limit counters expire; letters, events and access logs carry no such attribute.
      timeToLiveAttribute: 'expiresAt',
    });
    for (const [indexName, partitionKey] of Object.entries(LETTER_INDEXES)) {
      this.table.addGlobalSecondaryIndex({
        indexName,
        partitionKey: { name: partitionKey, type: AttributeType.STRING },
        sortKey: { name: LETTER_INDEX_SORT_KEY, type: AttributeType.STRING },
        // Keys and what a search filters on, not whole letters (see letter-table.ts).
        projectionType: ProjectionType.INCLUDE,
        nonKeyAttributes: indexProjection({ partitionKey, sortKey: LETTER_INDEX_SORT_KEY }),
      });
    }

    // Server access logs record every read of an archived letter, including presigned URLs.
    const accessLogs = new Bucket(this, 'ArchiveAccessLogs', {
      // Log delivery only writes to buckets encrypted with S3-managed keys.
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      // Kept as long as the letters whose reads they record.
      lifecycleRules: [{ expiration: Duration.days(settings.archiveRetentionDays) }],
      removalPolicy: STATEFUL,
    });
    acknowledge(accessLogs, {
      'AwsSolutions-S1': "This bucket receives the archive bucket's access logs; logging it in turn would only move the question to another bucket.",
    });

    const retention = Duration.days(settings.archiveRetentionDays);
    this.archiveBucket = new Bucket(this, 'Archive', {
      versioned: true,
      objectLockEnabled: true,
      // Approved letters are records: a default retention holds every version of every PDF.
      objectLockDefaultRetention:
        settings.archiveLockMode === 'COMPLIANCE' ? ObjectLockRetention.compliance(retention) : ObjectLockRetention.governance(retention),
      encryption: BucketEncryption.S3_MANAGED,
      blockPublicAccess: BlockPublicAccess.BLOCK_ALL,
      objectOwnership: ObjectOwnership.BUCKET_OWNER_ENFORCED,
      enforceSSL: true,
      minimumTLSVersion: 1.2,
      serverAccessLogsBucket: accessLogs,
      serverAccessLogsPrefix: 'archive/',
      removalPolicy: STATEFUL,
    });

    this.configurationSet = new ConfigurationSet(this, 'Mail', {
      // Letters carry personal data: never hand them to a server that will not encrypt in transit.
      tlsPolicy: ConfigurationSetTlsPolicy.REQUIRE,
      reputationMetrics: true,
      sendingEnabled: true,
      suppressionReasons: SuppressionReasons.BOUNCES_AND_COMPLAINTS,
    });

    // A domain with Easy DKIM (d= the sending domain) and a custom MAIL FROM under it, so both
    // DKIM and SPF align with the From address and DMARC p=reject domains (gov.uk) accept letters.
    this.emailIdentity = new EmailIdentity(this, 'Sender', {
      identity: Identity.domain(settings.sesDomain),
      dkimIdentity: DkimIdentity.easyDkim(EasyDkimSigningKeyLength.RSA_2048_BIT),
      dkimSigning: true,
      mailFromDomain: settings.mailFromDomain,
      // Until the MAIL FROM records resolve, SES uses its own bounce domain: DKIM still aligns.
      mailFromBehaviorOnMxFailure: MailFromBehaviorOnMxFailure.USE_DEFAULT_VALUE,
      configurationSet: this.configurationSet,
    });

    // Events name recipients, so the topic is encrypted with a key SES is allowed to use.
    const mailEventsKey = new Key(this, 'MailEventsKey', {
      description: 'Encrypts SES sending events for inspection letters',
      enableKeyRotation: true,
      removalPolicy: RemovalPolicy.DESTROY,
      pendingWindow: Duration.days(7),
    });
    mailEventsKey.addToResourcePolicy(
      new PolicyStatement({
        principals: [new ServicePrincipal('ses.amazonaws.com')],
        actions: ['kms:GenerateDataKey*', 'kms:Decrypt'],
        resources: ['*'],
        conditions: { StringEquals: { 'aws:SourceAccount': this.account } },
      }),
    );
    this.mailEventsTopic = new Topic(this, 'MailEvents', {
      masterKey: mailEventsKey,
      enforceSSL: true,
    });
    this.configurationSet.addEventDestination('ToTopic', {
      destination: EventDestination.snsTopic(this.mailEventsTopic),
      events: [
        EmailSendingEvent.SEND,
        EmailSendingEvent.DELIVERY,
        EmailSendingEvent.DELIVERY_DELAY,
        EmailSendingEvent.BOUNCE,
        EmailSendingEvent.COMPLAINT,
        EmailSendingEvent.REJECT,
        EmailSendingEvent.RENDERING_FAILURE,
      ],
    });

    this.userPool = new UserPool(this, 'Users', {
      // People are invited by an administrator; nobody signs themselves up.
      selfSignUpEnabled: false,
      signInAliases: { email: true },
      signInCaseSensitive: false,
      autoVerify: { email: true },
      standardAttributes: { fullname: { required: false, mutable: true } },
      mfa: Mfa.REQUIRED,
      mfaSecondFactor: { otp: true, sms: false },
      passwordPolicy: {
        minLength: 12,
        requireLowercase: true,
        requireUppercase: true,
        requireDigits: true,
        requireSymbols: true,
        tempPasswordValidity: Duration.days(3),
      },
      accountRecovery: AccountRecovery.EMAIL_ONLY,
      featurePlan: FeaturePlan.ESSENTIALS,
      // Cognito's deletion protection would make a failed first create's rollback fail, and
      // turning it on later (UpdateUserPool) resets every setting the call leaves out; the
      // removal policy keeps the pool when the stack goes.
      deletionProtection: false,
      removalPolicy: STATEFUL,
    });
    acknowledge(this.userPool, {
      'AwsSolutions-COG8':
        'Threat protection (Plus plan) is billed per active user; this pool is invitation-only, requires TOTP MFA and a 12-character password. Move to PLUS if the risk assessment asks for adaptive authentication.',
    });
    for (const [groupName, description] of Object.entries(USER_GROUPS)) {
      new UserPoolGroup(this, `Group-${groupName}`, { userPool: this.userPool, groupName, description });
    }
    this.userPool.addDomain('HostedUi', { cognitoDomain: { domainPrefix: settings.cognitoDomainPrefix } });

    // Deletion protection comes on last, after every other resource here was created.
    const protection = new AwsCustomResource(this, 'TableDeletionProtection', {
      onCreate: {
        service: 'DynamoDB',
        action: 'updateTable',
        parameters: { TableName: this.table.tableName, DeletionProtectionEnabled: true },
        physicalResourceId: PhysicalResourceId.of(`${this.table.tableName}-deletion-protection`),
      },
      policy: AwsCustomResourcePolicy.fromStatements([
        new PolicyStatement({ actions: ['dynamodb:UpdateTable'], resources: [this.table.tableArn] }),
      ]),
      installLatestAwsSdk: false,
    });
    for (const child of this.node.children) {
      if (child !== protection) protection.node.addDependency(child);
    }
    const provider = this.node.findChild(AWS_CUSTOM_RESOURCE_PROVIDER_ID);
    acknowledge(provider, {
      'AwsSolutions-IAM4[Policy::arn:<AWS::Partition>:iam::aws:policy/service-role/AWSLambdaBasicExecutionRole]':
        "CDK's AwsCustomResource provider runs once per deployment to turn on the table's deletion protection; the managed policy only lets it write its own logs.",
      'AwsSolutions-L1': "CDK chooses the AwsCustomResource provider's runtime; it runs only during deployments.",
    });

    new CfnOutput(this, 'TableName', { value: this.table.tableName });
    new CfnOutput(this, 'ArchiveBucketName', { value: this.archiveBucket.bucketName });
    new CfnOutput(this, STATEFUL_OUTPUTS.archiveBucketArn, { value: this.archiveBucket.bucketArn });
    new CfnOutput(this, 'UserPoolId', { value: this.userPool.userPoolId });
    new CfnOutput(this, 'MailFrom', { value: this.mailFrom });
    // The DNS records to publish before SES will send: three DKIM CNAMEs, and the MAIL FROM MX and SPF.
    this.emailIdentity.dkimRecords.forEach((record, i) => {
      new CfnOutput(this, `DkimRecord${i + 1}`, { value: `CNAME ${record.name} ${record.value}` });
    });
    new CfnOutput(this, 'MailFromMxRecord', { value: `MX ${settings.mailFromDomain} 10 feedback-smtp.${this.region}.amazonses.com` });
    new CfnOutput(this, 'MailFromSpfRecord', { value: `TXT ${settings.mailFromDomain} "v=spf1 include:amazonses.com ~all"` });
  }
}
