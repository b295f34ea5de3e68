import type { APIGatewayProxyEventV2, APIGatewayProxyResultV2, Context } from 'aws-lambda';
import { handle } from 'hono/aws-lambda';
import { loadConfig } from '../../config';
import { buildDependencies } from '../../wiring';
import { type AppDependencies, createApp } from './app';

export type ApiHandler = (event: APIGatewayProxyEventV2, context: Context) => Promise<APIGatewayProxyResultV2>;

export function createApiHandler(deps: AppDependencies): ApiHandler {
  return handle(createApp(deps)) as unknown as ApiHandler;
}

let cached: ApiHandler | undefined;

/** API Gateway HTTP API (payload 2.0) entry point. */
export const handler: ApiHandler = (event, context) => {
  cached ??= createApiHandler(buildDependencies(loadConfig()));
  return cached(event, context);
};
