import type { DynamoDBDocumentClient } from '@aws-sdk/lib-dynamodb';
import { DynamoDbCouncilDirectory } from '../adapters/dynamodb/dynamodb-council-directory';
import { type Config, required } from '../config';
import type { DfeRecipient } from '../core/letter-schema';

/** The council directory, in the letters table. */
export function councilDirectory(documents: DynamoDBDocumentClient, config: Config) {
  return new DynamoDbCouncilDirectory(documents, config.TABLE_NAME);
}

/** The configured DfE recipient; a function that drafts or approves letters cannot start without it. */
export function dfeRecipient(config: Config): DfeRecipient {
  return { name: required(config, 'DFE_NAME'), organisation: config.DFE_ORGANISATION, email: required(config, 'DFE_EMAIL') };
}
