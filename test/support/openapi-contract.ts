import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';

// ajv-formats is CommonJS; under ESM its function may sit on `default`.
const addFormats = ((addFormatsModule as unknown as { default?: typeof addFormatsModule }).default ?? addFormatsModule) as typeof addFormatsModule;

/**
 * Checks responses against the OpenAPI document the service serves: the status must be one the
 * operation documents, each required header present and well formed, the media type documented
 * and the body valid for its schema. The shared test client runs every response through it, so
 * a route that drifts from its document fails whichever test called it.
 */

/** What the check needs of a response. */
export interface ResponseToCheck {
  status: number;
  headers: Headers;
  /** Parsed JSON for JSON media types; otherwise anything (only the media type is checked). */
  body: unknown;
  /** The body as received; empty for HEAD. */
  size: number;
}

type Json = Record<string, any>;

interface Operation {
  pattern: RegExp;
  template: string;
  method: string;
  operation: Json;
}

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'options', 'head', 'patch', 'trace'];
const DOCUMENT_ID = 'https://inspection-letters.invalid/openapi.json';

/** Paths the document covers. Pages, assets of the forms and the local-only /dev routes are not the API. */
export const isApiPath = (path: string) => path === '/health' || path === '/api' || path.startsWith('/api/');

export class OpenApiContract {
  private readonly ajv: Ajv2020;
  private readonly operations: Operation[] = [];
  private readonly compiled = new Map<string, ValidateFunction>();

  readonly document: Json;

  constructor(served: Json) {
    this.ajv = new Ajv2020({ strict: false, allErrors: true, validateFormats: true });
    addFormats(this.ajv);
    this.ajv.addFormat('binary', true);
    this.ajv.addSchema({ ...served, $id: DOCUMENT_ID });
    // With every reference absolute, any schema taken out of the document compiles on its own.
    const document = JSON.parse(JSON.stringify(served).replaceAll('"$ref":"#/', `"$ref":"${DOCUMENT_ID}#/`)) as Json;
    this.document = document;
    for (const [template, item] of Object.entries(document.paths as Json)) {
      const pattern = new RegExp(`^${template.replace(/[.]/g, '\\.').replace(/\{[^}]+\}/g, '[^/]+')}$`);
      for (const method of HTTP_METHODS) {
        if (item[method]) this.operations.push({ pattern, template, method, operation: item[method] });
      }
    }
  }

  static async load(baseUrl: string): Promise<OpenApiContract> {
    const response = await fetch(`${baseUrl}/api/openapi.json`);
    if (response.status !== 200) throw new Error(`the OpenAPI document answered ${response.status}`);
    return new OpenApiContract((await response.json()) as Json);
  }

  /** Problems with one response; empty when it matches the document. */
  problems(method: string, url: string, response: ResponseToCheck): string[] {
    const path = new URL(url, 'http://localhost').pathname;
    if (!isApiPath(path)) return [];
    const m = method.toLowerCase();
    const found = this.operations.find((o) => o.method === m && o.pattern.test(path));
    const where = `${method.toUpperCase()} ${path} → ${response.status}`;
    if (!found) {
      // Nothing is documented here; the only honest answers are refusals: who are you (401), nothing here (404).
      if (response.status === 404 || response.status === 401) return this.checkProblemBody(where, response);
      return [`${where}: no operation is documented for ${method.toUpperCase()} ${path}`];
    }
    let declared = found.operation.responses[String(response.status)];
    if (!declared) return [`${where}: ${found.operation.operationId} does not document status ${response.status}`];
    if (declared.$ref) declared = this.resolve(declared.$ref);
    const problems: string[] = [];
    for (const [name, headerOrRef] of Object.entries((declared.headers ?? {}) as Json)) {
      const header = headerOrRef.$ref ? this.resolve(headerOrRef.$ref) : headerOrRef;
      const value = response.headers.get(name);
      if (value === null) {
        if (header.required) problems.push(`${where}: the ${name} header is missing`);
        continue;
      }
      if (header.schema) {
        const errors = this.validate(header.schema, value);
        if (errors) problems.push(`${where}: the ${name} header ${JSON.stringify(value)} ${errors}`);
      }
    }
    const content = declared.content as Json | undefined;
    if (m === 'head' || response.size === 0) {
      // A HEAD has no body; other empty bodies are fine only where nothing is documented, or a redirect.
      if (m !== 'head' && content && response.status !== 304) problems.push(`${where}: the body is empty, but the document gives it content`);
      return problems;
    }
    if (!content) return [...problems, `${where}: the document gives no body for this response, but it has one`];
    const mediaType = (response.headers.get('content-type') ?? '').split(';')[0].trim().toLowerCase();
    if (!content[mediaType]) {
      return [...problems, `${where}: the media type ${mediaType || '(none)'} is not one documented (${Object.keys(content).join(', ')})`];
    }
    if (/[/+]json$/.test(mediaType)) {
      const errors = this.validate(content[mediaType].schema, response.body);
      if (errors) problems.push(`${where}: the body ${errors}`);
    }
    return problems;
  }

  /** Throws with every problem found, naming the operation. */
  check(method: string, url: string, response: ResponseToCheck): void {
    const problems = this.problems(method, url, response);
    if (problems.length) throw new Error(`The response does not match the OpenAPI document:\n  ${problems.join('\n  ')}`);
  }

  private checkProblemBody(where: string, response: ResponseToCheck): string[] {
    const mediaType = (response.headers.get('content-type') ?? '').split(';')[0].trim();
    if (mediaType !== 'application/problem+json') return [`${where}: an undocumented route answered ${mediaType}, not a problem document`];
    const errors = this.validate({ $ref: `${DOCUMENT_ID}#/components/schemas/Problem` }, response.body);
    return errors ? [`${where}: the problem document ${errors}`] : [];
  }

  private resolve(ref: string): Json {
    let node: any = this.document;
    for (const part of ref.slice(ref.indexOf('#/') + 2).split('/')) node = node[part.replace(/~1/g, '/').replace(/~0/g, '~')];
    if (node === undefined) throw new Error(`the document has nothing at ${ref}`);
    return node;
  }

  private validate(schema: Json, value: unknown): string | undefined {
    const key = JSON.stringify(schema);
    let validate = this.compiled.get(key);
    if (!validate) {
      validate = this.ajv.compile(schema);
      this.compiled.set(key, validate);
    }
    if (validate(value)) return undefined;
    return this.ajv.errorsText(validate.errors, { dataVar: 'response', separator: '; ' });
  }
}

const contracts = new Map<string, Promise<OpenApiContract>>();

/** The contract of the service at baseUrl, read from it once. */
export function contractOf(baseUrl: string): Promise<OpenApiContract> {
  let contract = contracts.get(baseUrl);
  if (!contract) {
    contract = OpenApiContract.load(baseUrl);
    contracts.set(baseUrl, contract);
    contract.catch(() => contracts.delete(baseUrl));
  }
  return contract;
}
