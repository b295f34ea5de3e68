import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import type { Browser } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createApp } from '../../lambdas/handlers/http/app';
import { openApiDocument } from '../../lambdas/handlers/http/openapi';
import { launchBrowser, openPage } from '../support/browser';
import { type OpenApiContract, contractOf } from '../support/openapi-contract';
import { ApiClient, exampleLetter, startTestStack, type TestStack } from '../support/stack';

const run = promisify(execFile);

let stack: TestStack;
let inspector: ApiClient;
let contract: OpenApiContract;

beforeAll(async () => {
  stack = await startTestStack();
  inspector = await stack.as('inspector');
  contract = await contractOf(stack.url);
});
afterAll(() => stack?.destroy());

describe('the OpenAPI document', () => {
  it('is served without a token, and is the document the code builds', async () => {
    const anonymous = new ApiClient(stack.url, undefined);
    const response = await anonymous.get('/api/openapi.json');
    expect(response.status).toBe(200);
    expect(response.body).toEqual(JSON.parse(JSON.stringify(openApiDocument())));
  });

  it("passes Redocly's recommended rules with no errors and no warnings, offline", async () => {
    const dir = mkdtempSync(join(tmpdir(), 'openapi-lint-'));
    try {
      const file = join(dir, 'openapi.json');
      writeFileSync(file, JSON.stringify((await new ApiClient(stack.url, undefined).get('/api/openapi.json')).body));
      const { stdout } = await run(
        process.execPath,
        [join('node_modules', '@redocly', 'cli', 'bin', 'cli.js'), 'lint', '--extends=recommended', '--format=json', file],
        // No telemetry and no update check: the lint needs no network.
        { env: { ...process.env, REDOCLY_TELEMETRY: 'off', REDOCLY_SUPPRESS_UPDATE_NOTICE: 'true', CI: 'true' }, timeout: 60_000 },
      );
      const report = JSON.parse(stdout) as { totals: { errors: number; warnings: number }; problems: { ruleId: string; message: string }[] };
      expect(report.problems.map((p) => `${p.ruleId}: ${p.message}`)).toEqual([]);
      expect(report.totals).toMatchObject({ errors: 0, warnings: 0 });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('documents every route the API has, and has a route for everything it documents', () => {
    const app = createApp(stack.deps);
    const routed = new Set(
      app.routes
        .filter((r) => r.method !== 'ALL' && (r.path === '/health' || r.path.startsWith('/api/')))
        .map((r) => `${r.method.toLowerCase()} ${r.path.replace(/:(\w+)/g, '{$1}')}`),
    );
    const documented = new Set(
      Object.entries(contract.document.paths as Record<string, object>).flatMap(([path, item]) =>
        Object.keys(item).filter((m) => m !== 'head').map((m) => `${m} ${path}`),
      ),
    );
    expect([...routed].sort()).toEqual([...documented].sort());
  });

  it('answers a 401 with WWW-Authenticate: Bearer', async () => {
    const response = await new ApiClient(stack.url, undefined).get('/api/letters');
    expect(response.status).toBe(401);
    expect(response.headers.get('www-authenticate')).toBe('Bearer');
  });
});

describe('responses checked against the document', () => {
  const asChecked = (r: { status: number; headers: Headers; body: unknown; text: string }) => ({ ...r, size: r.text.length });

  it('accepts a real letter, and refuses it broken on purpose in any way a client would notice', async () => {
    const created = await inspector.post('/api/letters', exampleLetter());
    expect(created.status).toBe(201);
    const read = await inspector.get(`/api/letters/${created.body.id}`);
    const method = 'GET';
    const url = `/api/letters/${created.body.id}`;
    expect(contract.problems(method, url, asChecked(read))).toEqual([]);

    const broken = (change: (body: any, headers: Headers) => void, status = read.status) => {
      const body = structuredClone(read.body);
      const headers = new Headers(read.headers);
      change(body, headers);
      return contract.problems(method, url, { status, headers, body, size: read.text.length });
    };
    expect(broken((b) => delete b.findings).join()).toMatch(/must have required property 'findings'/);
    expect(broken((b) => (b.version = String(b.version))).join()).toMatch(/\/version must be integer/);
    expect(broken((b) => (b.findings[0].category = 'praise')).join()).toMatch(/\/findings\/0\/category must be equal to one of the allowed values/);
    expect(broken((b) => (b.secret = 'x')).join()).toMatch(/must NOT have additional properties/);
    expect(broken((b) => (b.deliveries.director = { email: 'x' })).join()).toMatch(/\/deliveries\/director/);
    expect(broken((_, h) => h.delete('etag')).join()).toMatch(/the ETag header is missing/);
    expect(broken((_, h) => h.set('etag', 'W/abc')).join()).toMatch(/the ETag header "W\/abc" .*must match pattern/);
    expect(broken((_, h) => h.set('content-type', 'text/plain')).join()).toMatch(/media type text\/plain is not one documented/);
    expect(broken(() => {}, 418).join()).toMatch(/getLetter does not document status 418/);
    expect(contract.problems('PUT', url, asChecked(read)).join()).toMatch(/no operation is documented for PUT/);
  });

  it('fails the test that received a drifted response, through the shared client', async () => {
    const list = await inspector.get('/api/letters');
    const drifted = { ...asChecked(list), body: { ...list.body, items: [{ id: 'not-a-letter' }] } };
    await expect(inspector.checkContract('GET', '/api/letters', drifted)).rejects.toThrow(
      /GET \/api\/letters → 200: the body .*\/items\/0/,
    );
  });
});

describe('the docs page', () => {
  let browser: Browser;
  beforeAll(async () => {
    browser = await launchBrowser();
  });
  afterAll(() => browser?.close());

  it('shows every operation of the document, with nothing from elsewhere and nothing the CSP refuses', async () => {
    const { page, cspViolations, close } = await openPage(browser);
    try {
      const elsewhere: string[] = [];
      page.on('request', (request) => {
        if (!request.url().startsWith(stack.url) && !request.url().startsWith('data:')) elsewhere.push(request.url());
      });
      const response = await page.goto(`${stack.url}/api/docs`, { waitUntil: 'networkidle0' });
      expect(response?.status()).toBe(200);
      expect(response?.headers()['content-security-policy']).toMatch(/script-src 'self'(;|$)/);
      await page.waitForSelector('.opblock', { timeout: 20_000 });
      const operationIds = await page.$$eval('.opblock', (blocks) => blocks.length);
      const documented = Object.values(contract.document.paths as Record<string, object>).reduce((n, item) => n + Object.keys(item).length, 0);
      expect(operationIds).toBe(documented);
      expect(cspViolations).toEqual([]);
      expect(elsewhere).toEqual([]);
    } finally {
      await close();
    }
  });
});
