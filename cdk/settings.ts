import type { Node } from 'constructs';

export type ArchiveLockMode = 'GOVERNANCE' | 'COMPLIANCE';

/** What a deployment may choose, read once from the CDK context (`cdk.json` or `-c key=value`). */
export interface Settings {
  /** Where the stacks go (context `region`, not the CLI profile, so a deployment is repeatable). The account is left to the CLI so synth needs no credentials. */
  readonly region: string;
  readonly account?: string;
  /** The verified SES sender every letter is emailed from. */
  readonly mailFrom: string;
  /** Verify a whole domain (DKIM) instead of the single sender address. */
  readonly sesDomain?: string;
  /** The Cognito hosted UI lives at https://<prefix>.auth.<region>.amazoncognito.com. */
  readonly cognitoDomainPrefix: string;
  /** Paths on the API the hosted UI may send a person back to after sign-in and sign-out. */
  readonly authCallbackPath: string;
  readonly signOutPath: string;
  /** GOVERNANCE lets a specially authorised role remove a letter; COMPLIANCE lets no one. */
  readonly archiveLockMode: ArchiveLockMode;
  readonly archiveRetentionDays: number;
  /** Optional address subscribed to the alarm topic. */
  readonly alarmEmail?: string;
}

const DEFAULTS = {
  region: 'eu-west-2',
  mailFrom: 'letters@example.gov.uk',
  cognitoDomainPrefix: 'inspection-letters',
  authCallbackPath: '/auth/callback',
  signOutPath: '/signed-out',
  archiveLockMode: 'GOVERNANCE',
  // Seven years: the usual retention for inspection records; a deployment sets its own.
  archiveRetentionDays: 2557,
} as const;

/** Reads and checks the settings, failing at synth rather than half-way through a deployment. */
export function readSettings(node: Node, env: NodeJS.ProcessEnv = process.env): Settings {
  const text = (key: string): string | undefined => {
    const value = node.tryGetContext(key) as unknown;
    if (value === undefined || value === null || value === '') return undefined;
    return String(value).trim();
  };

  const mailFrom = text('mailFrom') ?? DEFAULTS.mailFrom;
  if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(mailFrom)) throw new Error(`context mailFrom is not an email address: ${mailFrom}`);

  const sesDomain = text('sesDomain')?.toLowerCase();
  if (sesDomain && !mailFrom.toLowerCase().endsWith(`@${sesDomain}`)) {
    throw new Error(`context mailFrom (${mailFrom}) must be an address in sesDomain (${sesDomain})`);
  }

  const cognitoDomainPrefix = text('cognitoDomainPrefix') ?? DEFAULTS.cognitoDomainPrefix;
  if (!/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/.test(cognitoDomainPrefix) || /aws|amazon|cognito/.test(cognitoDomainPrefix)) {
    throw new Error(`context cognitoDomainPrefix must be lower-case letters, digits and hyphens, without aws, amazon or cognito: ${cognitoDomainPrefix}`);
  }

  const archiveLockMode = (text('archiveLockMode') ?? DEFAULTS.archiveLockMode).toUpperCase();
  if (archiveLockMode !== 'GOVERNANCE' && archiveLockMode !== 'COMPLIANCE') {
    throw new Error(`context archiveLockMode must be GOVERNANCE or COMPLIANCE: ${archiveLockMode}`);
  }

  const days = Number(text('archiveRetentionDays') ?? DEFAULTS.archiveRetentionDays);
  if (!Number.isInteger(days) || days < 1 || days > 36500) {
    throw new Error(`context archiveRetentionDays must be a whole number of days between 1 and 36500: ${days}`);
  }

  const path = (key: 'authCallbackPath' | 'signOutPath'): string => {
    const value = text(key) ?? DEFAULTS[key];
    if (!value.startsWith('/')) throw new Error(`context ${key} must start with /: ${value}`);
    return value;
  };

  const alarmEmail = text('alarmEmail');
  if (alarmEmail && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(alarmEmail)) throw new Error(`context alarmEmail is not an email address: ${alarmEmail}`);

  return {
    region: text('region') ?? DEFAULTS.region,
    account: text('account') ?? env.CDK_DEFAULT_ACCOUNT,
    mailFrom,
    sesDomain,
    cognitoDomainPrefix,
    authCallbackPath: path('authCallbackPath'),
    signOutPath: path('signOutPath'),
    archiveLockMode,
    archiveRetentionDays: days,
    alarmEmail,
  };
}
