import { SESClient } from '@aws-sdk/client-ses';
import { SesMailer } from '../adapters/ses/ses-mailer';
import type { Config } from '../config';

export function sesClient(): SESClient {
  return new SESClient({});
}

export function sesMailer(ses: SESClient, config: Config): SesMailer {
  return new SesMailer(ses, config.SES_CONFIGURATION_SET);
}
