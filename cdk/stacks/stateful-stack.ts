import { CfnOutput, Duration, RemovalPolicy, Stack, type StackProps } from 'aws-cdk-lib';
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
  EmailIdentity,
  EmailSendingEvent,
  EventDestination,
  Identity,
  SuppressionReasons,
} from 'aws-cdk-lib/aws-ses';
import { Topic } from 'aws-cdk-lib/aws-sns';
import type { Construct } from 'constructs';
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
 * What must outlive any redeployment: letters, the archive, the sender identity and the
 * people who sign in. Everything here is retained when the stack is deleted.
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
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    for (const [indexName, partitionKey] of Object.entries(LETTER_INDEXES)) {
      this.table.addGlobalSecondaryIndex({
        indexName,
        partitionKey: { name: partitionKey, type: AttributeType.STRING },
        sortKey: { name: LETTER_INDEX_SORT_KEY, type: AttributeType.STRING },
        projectionType: ProjectionType.ALL,
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
      removalPolicy: RemovalPolicy.RETAIN,
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
      removalPolicy: RemovalPolicy.RETAIN,
    });

    this.emailIdentity = new EmailIdentity(this, 'Sender', {
      identity: settings.sesDomain ? Identity.domain(settings.sesDomain) : Identity.email(settings.mailFrom),
    });

    this.configurationSet = new ConfigurationSet(this, 'Mail', {
      // Letters carry personal data: never hand them to a server that will not encrypt in transit.
      tlsPolicy: ConfigurationSetTlsPolicy.REQUIRE,
      reputationMetrics: true,
      sendingEnabled: true,
      suppressionReasons: SuppressionReasons.BOUNCES_AND_COMPLAINTS,
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
      deletionProtection: true,
      removalPolicy: RemovalPolicy.RETAIN,
    });
    acknowledge(this.userPool, {
      'AwsSolutions-COG8':
        'Threat protection (Plus plan) is billed per active user; this pool is invitation-only, requires TOTP MFA and a 12-character password. Move to PLUS if the risk assessment asks for adaptive authentication.',
    });
    for (const [groupName, description] of Object.entries(USER_GROUPS)) {
      new UserPoolGroup(this, `Group-${groupName}`, { userPool: this.userPool, groupName, description });
    }
    this.userPool.addDomain('HostedUi', { cognitoDomain: { domainPrefix: settings.cognitoDomainPrefix } });

    new CfnOutput(this, 'TableName', { value: this.table.tableName });
    new CfnOutput(this, 'ArchiveBucketName', { value: this.archiveBucket.bucketName });
    new CfnOutput(this, STATEFUL_OUTPUTS.archiveBucketArn, { value: this.archiveBucket.bucketArn });
    new CfnOutput(this, 'UserPoolId', { value: this.userPool.userPoolId });
    new CfnOutput(this, 'MailFrom', { value: this.mailFrom });
  }
}
