import createClient, { type Client } from 'openapi-fetch';
import type { paths } from './generated/api';

export type { components, paths } from './generated/api';
export type LettersApi = Client<paths>;

/** A typed client of the API, generated from its OpenAPI document, holding one bearer token. */
export function lettersApi(baseUrl: string, token?: string): LettersApi {
  return createClient<paths>({ baseUrl, headers: token ? { Authorization: `Bearer ${token}` } : {}, redirect: 'manual' });
}
