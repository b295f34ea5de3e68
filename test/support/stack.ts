import { councilCode } from '../../lambdas/core/council-name';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Role } from '../../lambdas/core/letter';
import { type LocalStack, type LocalStackOptions, startLocalStack } from '../../lambdas/local/local-stack';
import { contractOf, isApiPath, type ResponseToCheck } from './openapi-contract';

export const FIXTURES = join(import.meta.dirname, '..', 'fixtures');

/** The example letter as data, a fresh copy each time. */
export function exampleLetter(): Record<string, any> {
  return JSON.parse(readFileSync(join(FIXTURES, 'durham-2011-03-09.json'), 'utf8'));
}

export interface TestStack extends LocalStack {
  dataDir: string;
  as(role: Role, name?: string): Promise<ApiClient>;
  /** Stops the stack and removes its data. */
  destroy(): Promise<void>;
}

export async function startTestStack(options: Partial<LocalStackOptions> = {}): Promise<TestStack> {
  const dataDir = options.dataDir ?? mkdtempSync(join(tmpdir(), 'letters-test-'));
  const stack = await startLocalStack({ port: 0, logLevel: 'SILENT', ...options, dataDir });
  return Object.assign(stack, {
    dataDir,
    async as(role: Role, name = `Test ${role}`) {
      return new ApiClient(stack.url, await stack.token(role, name));
    },
    async destroy() {
      await stack.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  });
}

export interface ApiResponse<T = any> {
  status: number;
  headers: Headers;
  body: T;
  text: string;
}

/** A caller of the HTTP API holding one token. */
export class ApiClient {
  constructor(
    readonly baseUrl: string,
    readonly token: string | undefined,
    /** Off only for a test that sends what no client of the document would. */
    readonly checkAgainstDocument = true,
  ) {}

  async request<T = any>(
    method: string,
    path: string,
    options: { json?: unknown; body?: string; headers?: Record<string, string>; redirect?: RequestRedirect } = {},
  ): Promise<ApiResponse<T>> {
    const headers: Record<string, string> = { ...(this.token ? { Authorization: `Bearer ${this.token}` } : {}) };
    let body: string | undefined = options.body;
    if (options.json !== undefined) {
      headers['Content-Type'] = 'application/json';
      body = JSON.stringify(options.json);
    }
    const response = await fetch(`${this.baseUrl}${path}`, {
      method,
      headers: { ...headers, ...options.headers },
      body,
      redirect: options.redirect ?? 'manual',
    });
    const text = await response.text();
    let parsed: any = text;
    if ((response.headers.get('content-type') ?? '').includes('json')) parsed = text ? JSON.parse(text) : undefined;
    const received = { status: response.status, headers: response.headers, body: parsed, text };
    await this.checkContract(method, path, { ...received, size: text.length });
    return received;
  }

  /** Every response of the API must be one its OpenAPI document describes; a drift fails the test. */
  async checkContract(method: string, path: string, response: ResponseToCheck) {
    if (this.checkAgainstDocument && isApiPath(new URL(path, this.baseUrl).pathname)) {
      (await contractOf(this.baseUrl)).check(method, path, response);
    }
  }

  get = <T = any>(path: string, headers?: Record<string, string>) => this.request<T>('GET', path, { headers });
  post = <T = any>(path: string, json?: unknown, headers?: Record<string, string>) => this.request<T>('POST', path, { json, headers });
  patch = <T = any>(path: string, json?: unknown, headers?: Record<string, string>) => this.request<T>('PATCH', path, { json, headers });
  delete = <T = any>(path: string, headers?: Record<string, string>) => this.request<T>('DELETE', path, { headers });

  /**
   * Creates the example letter (or a variant) and returns it. A variant naming a council or
   * recipients of its own is addressed to a council the directory holds with those recipients
   * (added as a manager would, through the API): letters go only where the directory says.
   */
  async createLetter(overrides: Record<string, unknown> = {}) {
    const body = { ...exampleLetter(), ...overrides };
    if (overrides.authority || overrides.recipients) await this.ensureCouncil(body, Boolean(overrides.authority));
    const response = await this.post('/api/letters', body);
    if (response.status !== 201) throw new Error(`create failed: ${response.status} ${response.text}`);
    return response.body;
  }

  private async ensureCouncil(body: Record<string, any>, ownCouncil: boolean) {
    const example = exampleLetter();
    const director = body.recipients?.director ?? example.recipients.director;
    const chiefExecutive = body.recipients?.chiefExecutive ?? example.recipients.chiefExecutive;
    // The example's own council keeps the example's addresses: other addresses get a council of their own.
    if (!ownCouncil) {
      if (director.email === example.recipients.director.email && chiefExecutive.email === example.recipients.chiefExecutive.email) return;
      body.authority = { name: `Council of ${director.email.replace(/[^A-Za-z0-9]+/g, ' ').trim()}` };
    }
    const name = body.authority.name as string;
    const code = councilCode(name);
    const keeper = await fetch(`${this.baseUrl}/dev/token`, { method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify({ role: 'manager', name: 'Directory Keeper' }) });
    const manager = new ApiClient(this.baseUrl, ((await keeper.json()) as { token: string }).token);
    const added = await manager.request('PUT', `/api/councils/${code}`, { json: { name, director, chiefExecutive } });
    if (added.status === 201 || added.status === 428) return;
    throw new Error(`adding ${name} to the directory failed: ${added.status} ${added.text}`);
  }
}

/** Takes a letter from nothing to submitted, returning it. */
export async function submittedLetter(inspector: ApiClient, overrides: Record<string, unknown> = {}) {
  const letter = await inspector.createLetter(overrides);
  const submitted = await inspector.post(`/api/letters/${letter.id}/submit`);
  if (submitted.status !== 200) throw new Error(`submit failed: ${submitted.status} ${submitted.text}`);
  return submitted.body;
}
