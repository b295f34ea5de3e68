import { DynamoDBServiceException } from '@aws-sdk/client-dynamodb';
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { ApiClient, type ApiResponse, exampleLetter, startTestStack, type TestStack } from '../support/stack';

let stack: TestStack;
let inspector: ApiClient;
let anonymous: ApiClient;
let draftId: string;

/** When set, the next DynamoDB call fails the way the service itself can fail. */
let failNextDynamoCall = false;
const SDK_TEXT = 'arn:aws:dynamodb:eu-west-2:123456789012:table/inspection-letters';
const SDK_REQUEST_ID = 'SDKREQ7Q2W9E4R';

beforeAll(async () => {
  // ERROR, not SILENT: the 500 test reads what the logger writes.
  stack = await startTestStack({ logLevel: 'ERROR' });
  inspector = await stack.as('inspector', 'Simon Rushall');
  anonymous = new ApiClient(stack.url, undefined);
  draftId = (await inspector.createLetter()).id;
  // An injected fault: the emulator never answers with a 500, so the SDK client is made to.
  stack.deps.clients.dynamo.middlewareStack.add(
    (next) => async (args) => {
      if (failNextDynamoCall) {
        failNextDynamoCall = false;
        throw new DynamoDBServiceException({
          name: 'InternalServerError',
          $fault: 'server',
          $metadata: { httpStatusCode: 500, requestId: SDK_REQUEST_ID, attempts: 3 },
          message: `Internal server error while reading ${SDK_TEXT}`,
        });
      }
      return next(args);
    },
    { step: 'initialize', name: 'testFailNextCall' },
  );
});

afterAll(async () => {
  await stack?.destroy();
});

function expectSecurityHeaders(response: ApiResponse) {
  const h = response.headers;
  const csp = h.get('content-security-policy') ?? '';
  expect(csp).toContain("default-src 'none'");
  expect(csp).toContain("frame-ancestors 'none'");
  expect(h.get('x-content-type-options')).toBe('nosniff');
  expect(h.get('x-frame-options')).toMatch(/^(DENY|SAMEORIGIN)$/);
  expect(h.get('referrer-policy')).toBe('no-referrer');
  const hsts = /max-age=(\d+)/.exec(h.get('strict-transport-security') ?? '');
  expect(Number(hsts?.[1])).toBeGreaterThanOrEqual(31_536_000);
  expect(h.get('cache-control')).toContain('no-store');
  expect(h.get('x-powered-by')).toBeNull();
}

describe('security headers on API responses', () => {
  const cases: { name: string; call: () => Promise<ApiResponse>; status: number }[] = [
    { name: 'a search', call: () => inspector.get('/api/letters'), status: 200 },
    { name: 'a created letter', call: () => inspector.post('/api/letters', exampleLetter()), status: 201 },
    { name: 'a letter', call: () => inspector.get(`/api/letters/${draftId}`), status: 200 },
    { name: 'the OpenAPI document', call: () => inspector.get('/api/openapi.json'), status: 200 },
    { name: 'a refusal without a token', call: () => anonymous.get('/api/letters'), status: 401 },
    { name: 'an unknown letter', call: () => inspector.get('/api/letters/01ARZ3NDEKTSV4RRFFQ69G5FAV'), status: 404 },
    { name: 'an unknown route', call: () => inspector.get('/api/nothing-here'), status: 404 },
    { name: 'invalid input', call: () => inspector.post('/api/letters', { summary: 1 }), status: 422 },
    { name: 'a conflict', call: () => inspector.get(`/api/letters/${draftId}/pdf`), status: 409 },
  ];
  for (const c of cases) {
    it(`are sent with ${c.name} (${c.status})`, async () => {
      const response = await c.call();
      expect(response.status).toBe(c.status);
      expectSecurityHeaders(response);
      expect(response.headers.get('x-correlation-id')).toMatch(/^[\w-]{8,64}$/);
    });
  }

  it('lets the HTML preview run no script and load nothing but inline styles, fonts and images', async () => {
    const response = await inspector.get(`/api/letters/${draftId}/preview`);
    expect(response.status).toBe(200);
    expect(response.headers.get('content-type')).toBe('text/html; charset=utf-8');
    const csp = response.headers.get('content-security-policy') ?? '';
    expect(csp).toContain("default-src 'none'");
    expect(csp).not.toMatch(/script-src|unsafe-eval/);
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('cache-control')).toContain('no-store');
  });
});

describe('a failure inside the service', () => {
  /** Captures what the process writes while `run` runs, and still returns run's result. */
  async function capturingOutput<T>(run: () => Promise<T>): Promise<{ result: T; output: string }> {
    const chunks: string[] = [];
    const streams = [process.stdout, process.stderr];
    const originals = streams.map((s) => s.write);
    for (const stream of streams) {
      stream.write = ((chunk: string | Uint8Array, ...rest: unknown[]) => {
        chunks.push(typeof chunk === 'string' ? chunk : Buffer.from(chunk).toString('utf8'));
        const callback = rest.find((r) => typeof r === 'function') as (() => void) | undefined;
        callback?.();
        return true;
      }) as typeof stream.write;
    }
    try {
      return { result: await run(), output: chunks.join('') };
    } finally {
      streams.forEach((s, i) => (s.write = originals[i]));
    }
  }

  it('answers 500 with a generic problem and a correlation id, never the error itself', async () => {
    const correlationId = `test-${randomUUID()}`;
    failNextDynamoCall = true;
    const { result: response, output } = await capturingOutput(() =>
      inspector.get(`/api/letters/${draftId}`, { 'X-Correlation-Id': correlationId }),
    );
    failNextDynamoCall = false;

    expect(response.status).toBe(500);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    expect(response.headers.get('x-correlation-id')).toBe(correlationId);
    expectSecurityHeaders(response);
    expect(response.body).toEqual({
      type: 'about:blank',
      title: 'Internal error',
      status: 500,
      detail: `Something went wrong on our side. Quote ${correlationId} if you report it.`,
      instance: `/api/letters/${draftId}`,
      correlationId,
    });
    for (const secret of ['InternalServerError', SDK_TEXT, SDK_REQUEST_ID, 'dynamodb', 'DynamoDB', '    at ', 'node_modules', '.ts:']) {
      expect(response.text).not.toContain(secret);
    }

    // The log carries what the client is not told, under the same correlation id.
    const entries = output
      .split('\n')
      .filter((line) => line.startsWith('{'))
      .map((line) => JSON.parse(line));
    const logged = entries.find((e) => e.correlationId === correlationId);
    expect(logged).toBeDefined();
    expect(logged).toMatchObject({
      level: 'ERROR',
      message: 'request failed',
      method: 'GET',
      path: `/api/letters/${draftId}`,
      error: { name: 'InternalServerError', message: expect.stringContaining(SDK_TEXT) },
    });
    expect(logged.error.stack).toContain('at ');
  });

  it('gives each failure its own correlation id when the client sends none', async () => {
    failNextDynamoCall = true;
    const { result: response, output } = await capturingOutput(() => inspector.get(`/api/letters/${draftId}`));
    failNextDynamoCall = false;

    expect(response.status).toBe(500);
    const correlationId = response.body.correlationId;
    expect(correlationId).toMatch(/^[\w-]{8,64}$/);
    expect(response.headers.get('x-correlation-id')).toBe(correlationId);
    expect(output).toContain(correlationId);
  });

  it('ignores a correlation id that could forge log lines, and recovers once the fault is gone', async () => {
    failNextDynamoCall = true;
    const forged = 'x\r\n{"level":"INFO","message":"forged"}';
    const { result: response, output } = await capturingOutput(() =>
      inspector.get(`/api/letters/${draftId}`, { 'X-Correlation-Id': encodeURIComponent(forged) }),
    );
    failNextDynamoCall = false;
    expect(response.status).toBe(500);
    expect(response.body.correlationId).not.toContain('forged');
    expect(output).not.toContain('forged');

    const healthy = await inspector.get(`/api/letters/${draftId}`);
    expect(healthy.status).toBe(200);
  });
});
