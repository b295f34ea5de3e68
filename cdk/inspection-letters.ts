import { type App, Fn } from 'aws-cdk-lib';
import { addNagChecks } from './nag';
import { PROJECT_ROOT } from './paths';
import { readSettings } from './settings';
import { STATEFUL_OUTPUTS, StatefulStack } from './stacks/stateful-stack';
import { StatelessStack } from './stacks/stateless-stack';

export const STACK_NAMES = {
  stateful: 'InspectionLetters-Stateful',
  stateless: 'InspectionLetters-Stateless',
} as const;

/**
 * Adds the two stacks and the cdk-nag checks to an app. The CLI's app and the tests both come
 * through here, so the tests check what `cdk deploy` would deploy.
 */
export function defineInspectionLetters(app: App, projectRoot: string = PROJECT_ROOT) {
  const settings = readSettings(app.node);
  // No account unless the CLI found credentials: synth stays offline and environment-agnostic.
  const env = { region: settings.region, account: settings.account };
  const tags = { project: 'inspection-letters' };

  const stateful = new StatefulStack(app, STACK_NAMES.stateful, {
    env,
    tags,
    settings,
    description: 'Inspection letters: table, archive bucket, SES sender and user pool (retained on deletion)',
    terminationProtection: false,
  });
  const stateless = new StatelessStack(app, STACK_NAMES.stateless, {
    env,
    tags,
    settings,
    projectRoot,
    description: 'Inspection letters: functions, HTTP API, queues and alarms',
    stateful: {
      table: stateful.table,
      archive: {
        bucketName: stateful.archiveBucket.bucketName,
        bucketArn: Fn.getStackOutput(stateful.stackName, STATEFUL_OUTPUTS.archiveBucketArn),
      },
      mail: {
        from: stateful.mailFrom,
        // Built from the same setting in both stacks rather than referenced across them, so a
        // change of sender domain never meets an export still in use.
        domain: settings.sesDomain,
        configurationSetName: stateful.configurationSet.configurationSetName,
      },
      mailEventsTopic: stateful.mailEventsTopic,
      userPool: stateful.userPool,
    },
  });
  // Also covers the ARN read by output name, which CDK cannot see as a reference.
  stateless.addStackDependency(stateful);

  addNagChecks(app);
  return { settings, stateful, stateless };
}
