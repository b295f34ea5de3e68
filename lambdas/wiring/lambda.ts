import { Logger } from '@aws-lambda-powertools/logger';
import { injectLambdaContext } from '@aws-lambda-powertools/logger/middleware';
import middy from '@middy/core';
import type { Context } from 'aws-lambda';

export function createLogger(): Logger {
  return new Logger({ serviceName: process.env.POWERTOOLS_SERVICE_NAME ?? 'inspection-letters' });
}

/**
 * A Lambda entry point. Its dependencies are built on the first invocation, once per cold
 * start, and Powertools puts the invocation's request id, function name and cold-start flag
 * on every log line written through the logger they share.
 */
export function lambdaHandler<TEvent, TResult, TDependencies>(
  build: (logger: Logger) => TDependencies,
  create: (deps: TDependencies) => (event: TEvent, context: Context) => Promise<TResult>,
) {
  const logger = createLogger();
  let run: ((event: TEvent, context: Context) => Promise<TResult>) | undefined;
  return middy<TEvent, TResult>((event: TEvent, context: Context) => {
    run ??= create(build(logger));
    return run(event, context);
  }).use(injectLambdaContext(logger, { resetKeys: true }));
}
