/**
 * One letter from a process that has never rendered: what a fresh Lambda or CLI run waits for
 * before its first PDF. bench/run.ts runs this in a child process (under tsx, or bundled with
 * esbuild as the Lambda is) and passes the repository root in BENCH_REPO_ROOT, since a bundle
 * no longer sits where this file does. Prints one JSON line of timings, in ms since the process
 * started, as soon as the PDF exists; then closes the browser.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

const started = performance.now();
const { default: chromium } = await import('@sparticuz/chromium');
const { ChromiumPdfRenderer } = await import('../lambdas/adapters/chromium/chromium-pdf-renderer');
const { letterPdfMetadata, NunjucksLetterTemplate } = await import('../lambdas/adapters/templates/nunjucks-letter-template');
const modulesLoaded = performance.now();
// Given a layer-shaped folder (CHROMIUM_BIN_DIR), the renderer runs Chromium from it as it is, as
// on Lambda. Else the first call inflates Chromium into the temp dir (once per machine or
// sandbox); later ones find it there.
const binDir = process.env.CHROMIUM_BIN_DIR;
const executablePath = binDir ? undefined : await chromium.executablePath();
const unpacked = performance.now();

const root = process.env.BENCH_REPO_ROOT;
if (!root) throw new Error('BENCH_REPO_ROOT is not set');
const input = JSON.parse(readFileSync(join(root, 'test/fixtures/durham-2011-03-09.json'), 'utf8'));
// Findings numbered as the repository numbers them; the fixture is valid, so no schema is loaded.
const content = { ...input, findings: input.findings.map((f: object, i: number) => ({ id: `f${i + 1}`, ...f })) };

const template = new NunjucksLetterTemplate(join(root, 'templates'));
const renderer = new ChromiumPdfRenderer({ executablePath, binDir, singleProcess: process.env.CHROMIUM_SINGLE_PROCESS === 'true' });
const { pdf, pages } = await renderer.render(template.render(content), letterPdfMetadata(content));
const pdfReady = performance.now();
process.stdout.write(`${JSON.stringify({ started, modulesLoaded, unpacked, pdfReady, bytes: pdf.length, pages })}\n`);
await renderer.close();
