import type { Node } from 'constructs';

export type ArchiveLockMode = 'GOVERNANCE' | 'COMPLIANCE';

/** What a deployment may choose, read once from the CDK context (`cdk.json` or `-c key=value`). */
export interface Settings {
  /** Where the stacks go (context `region`, not the CLI profile, so a deployment is repeatable). The account is left to the CLI so synth needs no credentials. */
  readonly region: string;
  readonly account?: string;
  /** The sender every letter is emailed from: an address in `sesDomain`. */
  readonly mailFrom: string;
  /** The domain SES sends from, verified with Easy DKIM: DMARC at gov.uk rejects anything else. */
  readonly sesDomain: string;
  /** The custom MAIL FROM (bounce) domain, a subdomain of `sesDomain`, so SPF aligns too. */
  readonly mailFromDomain: string;
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
  /** The Department for Education's copy of every letter goes here and nowhere else (context dfeEmail, dfeName, dfeOrganisation). */
  readonly dfe?: { email: string; name: string; organisation: string };
}

/** Settings with no safe default: every deployment chooses its own, or synth stops. */
export const REQUIRED_CONTEXT = {
  cognitoDomainPrefix: 'the hosted sign-in prefix, unique in the region (https://<prefix>.auth.<region>.amazoncognito.com)',
  sesDomain: 'the domain letters are sent from, verified in SES with Easy DKIM (for example letters.your-inspectorate.gov.uk)',
} as const;

const DEFAULTS = {
  region: 'eu-west-2',
  mailLocalPart: 'letters',
  mailFromSubdomain: 'mail',
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

  const missing = Object.entries(REQUIRED_CONTEXT).filter(([key]) => text(key) === undefined);
  if (missing.length > 0) {
    throw new Error(
      `Missing CDK context ${missing.map(([key]) => key).join(' and ')}: ${missing.map(([key, what]) => `${key} is ${what}`).join('; ')}. ` +
        `Pass them with -c, e.g. npx cdk synth -c cognitoDomainPrefix=your-inspectorate-letters -c sesDomain=letters.your-inspectorate.gov.uk, or set them in cdk.json.`,
    );
  }

  const sesDomain = text('sesDomain')!.toLowerCase();
  if (!/^(?=.{4,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/.test(sesDomain)) {
    throw new Error(`context sesDomain is not a domain name: ${sesDomain}`);
  }
  const mailFrom = text('mailFrom') ?? `${DEFAULTS.mailLocalPart}@${sesDomain}`;
  if (!/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(mailFrom)) throw new Error(`context mailFrom is not an email address: ${mailFrom}`);
  if (!mailFrom.toLowerCase().endsWith(`@${sesDomain}`)) {
    throw new Error(`context mailFrom (${mailFrom}) must be an address in sesDomain (${sesDomain})`);
  }
  const mailFromSubdomain = text('mailFromSubdomain') ?? DEFAULTS.mailFromSubdomain;
  if (!/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/.test(mailFromSubdomain)) {
    throw new Error(`context mailFromSubdomain must be one DNS label: ${mailFromSubdomain}`);
  }

  const cognitoDomainPrefix = text('cognitoDomainPrefix')!;
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

  const dfeEmail = text('dfeEmail');
  const dfeName = text('dfeName');
  if (dfeEmail && !/^[^@\s]+@[^@\s]+\.[^@\s]+$/.test(dfeEmail)) throw new Error(`context dfeEmail is not an email address: ${dfeEmail}`);
  if (Boolean(dfeEmail) !== Boolean(dfeName)) throw new Error('context dfeEmail and dfeName go together: the DfE copy names its recipient');
  const dfe = dfeEmail && dfeName ? { email: dfeEmail, name: dfeName, organisation: text('dfeOrganisation') ?? 'Department for Education' } : undefined;

  return {
    region: text('region') ?? DEFAULTS.region,
    account: text('account') ?? env.CDK_DEFAULT_ACCOUNT,
    mailFrom,
    sesDomain,
    mailFromDomain: `${mailFromSubdomain}.${sesDomain}`,
    cognitoDomainPrefix,
    authCallbackPath: path('authCallbackPath'),
    signOutPath: path('signOutPath'),
    archiveLockMode,
    archiveRetentionDays: days,
    alarmEmail,
    dfe,
  };
}
