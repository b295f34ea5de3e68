import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from '@jest/globals';
import { RENDERER_MODES } from '../support/browser';
import { ChromiumPdfRenderer, chromiumArgs } from '../../lambdas/adapters/chromium/chromium-pdf-renderer';
import { letterPdfMetadata, NunjucksLetterTemplate } from '../../lambdas/adapters/templates/nunjucks-letter-template';
import { LetterInput } from '../../lambdas/core/letter-schema';
import type { Finding, LetterContent } from '../../lambdas/core/letter';
import type { PdfMetadata } from '../../lambdas/core/ports';
import { readPdf, words } from '../support/pdf-text';

const fixture = (name: string) => fileURLToPath(new URL(`../fixtures/${name}`, import.meta.url));
const TEMPLATES_DIR = fileURLToPath(new URL('../../templates', import.meta.url));
const PASSWD_LINE = 'root:x:0:0';

const METADATA: PdfMetadata = { title: 'Hostile', author: 'Test', subject: 'Hardening', keywords: ['test'], lang: 'en-GB' };

type Content = LetterContent & { findings: Finding[] };

function exampleLetter(): Content {
  const input = LetterInput.parse(JSON.parse(readFileSync(fixture('durham-2011-03-09.json'), 'utf8')));
  return { ...input, findings: input.findings.map((f, i) => ({ id: `f${i + 1}`, ...f })) };
}

// Line breaks may fall inside a URL, so literal text is compared with all whitespace removed.
const squash = (s: string) => words(s).join('');

describe.each(RENDERER_MODES)('a renderer that nothing in a letter can turn against its host ($mode)', ({ singleProcess }) => {
  const template = new NunjucksLetterTemplate(TEMPLATES_DIR);
  const warnings: { message: string; details?: Record<string, unknown> }[] = [];
  const hits: string[] = [];
  let server: Server;
  let origin: string;
  let renderer: ChromiumPdfRenderer;

  beforeAll(async () => {
    server = createServer((req, res) => {
      hits.push(req.url ?? '');
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.end('LEAKED-FROM-SERVER');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    renderer = new ChromiumPdfRenderer({
      singleProcess,
      timeoutMs: 30_000,
      logger: { info() {}, warn: (message, details) => warnings.push({ message, details }) },
    });
  });

  afterAll(async () => {
    await renderer.close();
    await new Promise((resolve) => server.close(resolve));
  });

  beforeEach(() => {
    hits.length = 0;
    warnings.length = 0;
  });

  it('builds its own Chromium flags, without the ones that weaken the browser', () => {
    const args = chromiumArgs();
    for (const unsafe of [
      '--disable-web-security',
      '--allow-running-insecure-content',
      '--disable-site-isolation-trials',
      '--allow-file-access-from-files',
      '--single-process',
    ]) {
      expect(args).not.toContain(unsafe);
    }
    expect(args).toContain('--proxy-server=http://127.0.0.1:9');
    expect(args).toContain('--proxy-bypass-list=<-loopback>');
  });

  it('prints hostile letter text literally and loads nothing', async () => {
    // Prepare
    const hostile = [
      '<script>document.write("SCRIPT-RAN")</script>',
      '<iframe src="file:///etc/passwd"></iframe>',
      `<img src="${origin}/x">`,
      `<link rel=prefetch href="${origin}/prefetch">`,
      `<style>body{background:url(${origin}/y)}</style>`,
      '{{ 7*7 }}',
      '{% raw %}',
      '{# comment #}',
      '&amp; &lt;b&gt;',
      'Ünïcödé “quotes” ‘single’ — Ł ő ŵ €',
    ];
    const example = exampleLetter();
    const content: Content = {
      ...example,
      summary: hostile.join('\n'),
      authority: { name: `Council <b>{{ 7*7 }}</b>` },
      recipients: {
        ...example.recipients,
        director: { ...example.recipients.director, name: `David <img src="${origin}/name"> Williams`, address: ['{% include "letter.njk" %}', 'DH1 5UL'] },
      },
      findings: hostile.map((text, i) => ({ id: `h${i}`, category: 'strength', text })),
    };

    // Act
    const html = template.render(content);
    const { pdf } = await renderer.render(html, letterPdfMetadata(content));
    const read = await readPdf(pdf);

    // Assess
    const text = squash(read.text);
    for (const literal of hostile) expect(text).toContain(squash(literal));
    expect(text).toContain(squash('Council <b>{{ 7*7 }}</b>'));
    expect(text).toContain(squash('{% include "letter.njk" %}'));
    // Once in the summary, once as a finding: printed, never run.
    expect(text.split('SCRIPT-RAN').length - 1).toBe(2);
    expect(read.text).not.toMatch(/\b49\b/);
    expect(read.text).not.toContain(PASSWD_LINE);
    expect(read.text).not.toContain('LEAKED-FROM-SERVER');
    expect(hits).toEqual([]);
    expect(html).not.toMatch(/<(script|iframe|img|link)\b/i);
  });

  it('gives raw hostile HTML no files, no network and no scripts', async () => {
    // Prepare
    const html = `<!DOCTYPE html>
<html><head>
<meta http-equiv="refresh" content="0;url=${origin}/refresh">
<base href="file:///etc/">
<link rel="stylesheet" href="${origin}/sheet.css">
<link rel="prefetch" href="${origin}/prefetch">
<link rel="preload" as="image" href="${origin}/preload.png">
<link rel="icon" href="${origin}/favicon.ico">
<style>
@import url(${origin}/import.css);
@font-face { font-family: Remote; src: url(${origin}/font.woff2); }
body { background: url(${origin}/background.png); }
p.remote { font-family: Remote; }
</style>
<script src="${origin}/script.js"></script>
</head><body>
<p class="remote">VISIBLE-STATIC-TEXT</p>
<iframe src="file:///etc/passwd" width="600" height="300"></iframe>
<iframe src="${origin}/frame"></iframe>
<object data="file:///etc/passwd" type="text/plain" width="600" height="300"></object>
<embed src="file:///etc/passwd" type="text/plain" width="600" height="300">
<img src="${origin}/img.png" alt="">
<img src="file:///etc/passwd" alt="">
<video poster="${origin}/poster.png" src="${origin}/video.mp4"></video>
<audio src="${origin}/audio.mp3" autoplay></audio>
<svg width="10" height="10"><image href="${origin}/svg-image.png" width="10" height="10"/></svg>
<script>
document.body.insertAdjacentText('beforeend', 'SCRIPT-WROTE-THIS');
fetch('${origin}/fetch');
new Image().src = '${origin}/script-image';
navigator.sendBeacon && navigator.sendBeacon('${origin}/beacon');
</script>
<script>document.write('<p>SCRIPT-DOCUMENT-WRITE</p>')</script>
<noscript><p>NOSCRIPT-SHOWN</p></noscript>
</body></html>`;

    // Act
    const { pdf, pages } = await renderer.render(html, METADATA);
    const read = await readPdf(pdf);
    await new Promise((resolve) => setTimeout(resolve, 300));

    // Assess
    expect(pages).toBeGreaterThanOrEqual(1);
    expect(read.text).toContain('VISIBLE-STATIC-TEXT');
    expect(read.text).not.toContain('SCRIPT-WROTE-THIS');
    expect(read.text).not.toContain('SCRIPT-DOCUMENT-WRITE');
    expect(read.text).not.toContain(PASSWD_LINE);
    expect(read.text).not.toContain('LEAKED-FROM-SERVER');
    expect(hits).toEqual([]);
    // What the page tried to fetch was refused and recorded.
    const blocked = warnings.filter((w) => w.message === 'blocked a request from a letter').map((w) => String(w.details?.url));
    expect(blocked.some((url) => url.startsWith(origin))).toBe(true);
  });

  it('relaunches the browser after it is killed, and renders the next letter', async () => {
    // Prepare
    const content = exampleLetter();
    const html = template.render(content);
    await renderer.render(html, letterPdfMetadata(content));
    const pid = await renderer.browserPid();
    expect(typeof pid).toBe('number');

    // Act
    process.kill(pid as number, 'SIGKILL');
    const after = await renderer.render(html, letterPdfMetadata(content));
    const again = await renderer.render(html, letterPdfMetadata(content));

    // Assess
    expect(after.pages).toBe(2);
    expect(again.pages).toBe(2);
    const newPid = await renderer.browserPid();
    expect(typeof newPid).toBe('number');
    expect(newPid).not.toBe(pid);
    expect(warnings.some((w) => /^browser (disconnected|lost)/.test(w.message))).toBe(true);
    expect((await readPdf(after.pdf)).text).toContain('Dear Mr Williams');
  });

  it('gives up on a render that runs out of time, and closes cleanly', async () => {
    // Prepare
    const hurried = new ChromiumPdfRenderer({ singleProcess, timeoutMs: 1 });
    const content = exampleLetter();

    // Act
    const attempt = hurried.render(template.render(content), letterPdfMetadata(content));

    // Assess
    await expect(attempt).rejects.toThrow(/longer than 1 ms/);
    await hurried.close();
    await expect(hurried.render('<p>late</p>', METADATA)).rejects.toThrow(/closed/);
  });

  it('recovers after a render that ran out of time, losing only its page where it can', async () => {
    // Prepare
    const bounded = new ChromiumPdfRenderer({ singleProcess, timeoutMs: 2_500, logger: { info() {}, warn: (message) => warnings.push({ message }) } });
    const paragraph = `<p>${'An inspection finding that goes on and on. '.repeat(25)}</p>`;
    const endless = `<!DOCTYPE html><html><body>${paragraph.repeat(8_000)}</body></html>`;
    const content = exampleLetter();

    try {
      // Act
      await bounded.render('<p>warm up</p>', METADATA);
      const pid = await bounded.browserPid();
      const tooLong = bounded.render(endless, METADATA);
      const next = bounded.render(template.render(content), letterPdfMetadata(content));

      // Assess
      await expect(tooLong).rejects.toThrow(/longer than 2500 ms/);
      expect((await next).pages).toBe(2);
      // In one process the busy renderer is the browser, which goes; otherwise only the page does.
      if (singleProcess) expect(await bounded.browserPid()).not.toBe(pid);
      else expect(await bounded.browserPid()).toBe(pid);
    } finally {
      await bounded.close();
    }
  });

  // On Lambda previews have a function of their own; the lanes matter where one process does both.
  (singleProcess ? it.skip : it)('prints letters for the archive while a slow preview runs, and the preview times out alone', async () => {
    // Prepare
    const bounded = new ChromiumPdfRenderer({ singleProcess, timeoutMs: 4_000 });
    const paragraph = `<p>${'An inspection finding that goes on and on. '.repeat(25)}</p>`;
    const endless = `<!DOCTYPE html><html><body>${paragraph.repeat(8_000)}</body></html>`;
    const content = exampleLetter();
    const html = template.render(content);

    try {
      await bounded.render(html, letterPdfMetadata(content));
      let started = Date.now();
      await bounded.render(html, letterPdfMetadata(content));
      const usual = Date.now() - started;

      // Act
      const slowPreview = bounded.render(endless, METADATA, { lane: 'preview' });
      slowPreview.catch(() => undefined);
      started = Date.now();
      const archived = await bounded.render(html, letterPdfMetadata(content), { lane: 'archive' });
      const alongside = Date.now() - started;

      // Assess: the archive's letter did not wait for the preview, which then failed on its own.
      expect(archived.pages).toBe(2);
      expect(alongside).toBeLessThan(usual + 2_000);
      await expect(slowPreview).rejects.toThrow(/longer than 4000 ms/);
      expect((await bounded.render(html, letterPdfMetadata(content), { lane: 'preview' })).pages).toBe(2);
    } finally {
      await bounded.close();
    }
  });

  it('prints one page past the limit and no more', async () => {
    const lines = `<!DOCTYPE html><html><body><p style="white-space: pre-line">${'A line\n'.repeat(3_000)}</p></body></html>`;
    const { pdf, pages } = await renderer.render(lines, METADATA, { maxPages: 20 });
    expect(pages).toBe(21);
    expect((await readPdf(pdf)).pageText).toHaveLength(21);
  });

  it('names the browser it prints with', async () => {
    expect(await renderer.fingerprint()).toMatch(/^HeadlessChrome\/\d+\.\d+\.\d+\.\d+$/);
  });
});
