import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { Hono } from 'hono';
import type { ApiEnv } from './api-context';
import { openApiDocument } from './openapi';

/** Swagger UI loads its own files and the document from here, and nothing from anywhere else. */
export const DOCS_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data:",
  "font-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

const PAGE = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Inspection letters API</title>
<link rel="stylesheet" href="docs/swagger-ui.css">
<link rel="icon" type="image/png" href="docs/favicon-32x32.png">
</head>
<body>
<div id="swagger-ui"></div>
<script src="docs/swagger-ui-bundle.js"></script>
<script src="docs/start.js"></script>
</body>
</html>
`;

// The document's URL is relative, so the page works under any prefix. No validator badge:
// Swagger UI would otherwise send the document to validator.swagger.io.
const START = `window.ui = SwaggerUIBundle({ url: 'openapi.json', dom_id: '#swagger-ui', validatorUrl: null, deepLinking: true });\n`;

interface DocsFile {
  body: Uint8Array<ArrayBuffer>;
  type: string;
  etag: string;
}

/**
 * Finds swagger-ui-dist from the working directory, like govuk-frontend: the same code works from
 * source and in a Lambda whose node_modules sits beside the handler.
 */
function loadFiles(dir?: string): Map<string, DocsFile> {
  const root = dir ?? dirname(createRequire(join(process.cwd(), 'package.json')).resolve('swagger-ui-dist/package.json'));
  const files = new Map<string, DocsFile>();
  const add = (name: string, body: Uint8Array<ArrayBuffer>, type: string) =>
    files.set(name, { body, type, etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 16)}"` });
  add('swagger-ui.css', new Uint8Array(readFileSync(join(root, 'swagger-ui.css'))), 'text/css; charset=utf-8');
  add('swagger-ui-bundle.js', new Uint8Array(readFileSync(join(root, 'swagger-ui-bundle.js'))), 'text/javascript; charset=utf-8');
  add('favicon-32x32.png', new Uint8Array(readFileSync(join(root, 'favicon-32x32.png'))), 'image/png');
  add('start.js', new TextEncoder().encode(START), 'text/javascript; charset=utf-8');
  return files;
}

/** The open routes: this API's OpenAPI document and a page to browse it. */
export function apiDocsRoutes(options: { swaggerUiDir?: string } = {}) {
  const docs = new Hono<ApiEnv>();
  let document: object | undefined;
  let files: Map<string, DocsFile> | undefined;

  docs.get('/openapi.json', (c) => c.json((document ??= openApiDocument())));
  docs.get('/docs', (c) => c.html(PAGE));
  docs.get('/docs/:file', (c) => {
    files ??= loadFiles(options.swaggerUiDir);
    // Only the files listed above: no request path reaches the file system.
    const file = files.get(c.req.param('file'));
    if (!file) return c.notFound();
    if (c.req.header('if-none-match') === file.etag) return c.body(null, 304, { ETag: file.etag });
    return c.body(file.body, 200, { 'Content-Type': file.type, ETag: file.etag, 'Cache-Control': 'public, max-age=86400' });
  });
  return docs;
}
