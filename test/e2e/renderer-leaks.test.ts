import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { readPdf, words } from '../support/pdf-text';
import { messagesTo } from '../support/outbox';
import { addCouncil, addressesOf, approve, archivedObject, archivedPdfViaApi, getBytes, recipientsFor, sha256 } from '../support/pipeline-helpers';
import { type ApiClient, exampleLetter, startTestStack, type TestStack } from '../support/stack';

/**
 * Letter text is text. Whatever an inspector types (HTML, script, template syntax, links to
 * files or to servers) is printed as written in every preview, the archived PDF and its HTML
 * twin, and the emails, and never makes the renderer load or run anything.
 */

const PASSWD_LINE = 'root:x:0:0';

let stack: TestStack;
let inspector: ApiClient;
let manager: ApiClient;
let server: Server;
let origin: string;
/** Every request the loopback server received: any of them means a letter reached out. */
const hits: string[] = [];

// Line breaks fall where the layout puts them, so literal text is compared with whitespace removed.
const squash = (s: string) => words(s).join('');

let hostile: {
  council: string;
  summaryLines: string[];
  findings: string[];
  directorName: string;
  addressLines: string[];
  chiefExecutiveName: string;
  dfeOrganisation: string;
  inspectorName: string;
  inspectorTitle: string;
};
let letter: any;
const recipients = recipientsFor('hostiletext');

beforeAll(async () => {
  server = createServer((req, res) => {
    hits.push(`${req.method} ${req.url}`);
    res.writeHead(200, { 'content-type': 'text/plain' });
    res.end('LEAKED-FROM-SERVER');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;

  const dfeOrganisation = 'Department for {{ 7*7 }} Education';
  // The DfE copy's details are configuration; they are printed as literally as anything else.
  stack = await startTestStack({ env: { DFE_ORGANISATION: dfeOrganisation } });
  inspector = await stack.as('inspector', 'Simon Rushall');
  manager = await stack.as('manager', 'Mary Manager');

  hostile = {
    council: `Council <b>{{ 7*7 }}</b> <script>document.write("COUNCIL-SCRIPT-RAN")</script>`,
    summaryLines: [
      'MARKSUMA {{ 7*7 }} MARKSUMB',
      `<img src="${origin}/summary-img" alt="">`,
      `<style>@import url(${origin}/summary-import.css); body { background: url(${origin}/summary-bg.png) }</style>`,
      '{% include "/etc/passwd" %}',
      '{{ range.constructor("return process")() }}',
    ],
    findings: [
      '<script>document.write("SCRIPT-RAN")</script>',
      '<iframe src="file:///etc/passwd" width="600" height="300"></iframe>',
      `<img src="${origin}/finding-img" onerror="this.src='${origin}/onerror'">`,
      `<link rel=prefetch href="${origin}/prefetch">`,
      `<div style="background-image: url(${origin}/inline-css)">CSS-URL</div>`,
      `<meta http-equiv="refresh" content="0;url=${origin}/refresh">`,
      `<object data="file:///etc/passwd" type="text/plain"></object>`,
      "MARKFINA {{ 7*7 }} MARKFINB {% include '/etc/passwd' %}",
      '{% for x in [1,2,3] %}LOOPED{% endfor %} {# hidden? #}',
      'Tom &amp; Jerry &lt;b&gt;not bold&lt;/b&gt;',
    ],
    directorName: `David <img src="${origin}/name"> Williams`,
    addressLines: ["{% include '/etc/passwd' %}", `<link rel="stylesheet" href="${origin}/address.css">`, 'DH1 5UL'],
    chiefExecutiveName: '<iframe src=file:///etc/passwd></iframe> Garlick',
    dfeOrganisation,
    inspectorName: `Simon "><img src="${origin}/attribute"> Rushall`,
    inspectorTitle: '</p><h1>Injected heading</h1><p>',
  };

  const body = exampleLetter();
  body.authority.name = hostile.council;
  body.summary = hostile.summaryLines.join('\n');
  body.findings = hostile.findings.map((text, i) => ({ category: ['strength', 'meetsRequirements', 'areaForDevelopment'][i % 3], text }));
  body.recipients = recipients;
  body.recipients.director.name = hostile.directorName;
  body.recipients.director.address = hostile.addressLines;
  body.recipients.chiefExecutive.name = hostile.chiefExecutiveName;
  body.recipients.dfe.organisation = hostile.dfeOrganisation;
  body.inspector = { name: hostile.inspectorName, jobTitle: hostile.inspectorTitle };
  // A manager put the council and its people in the directory, names and all, as typed.
  await addCouncil(manager, hostile.council, body.recipients);
  const created = await inspector.post('/api/letters', body);
  expect(created.status).toBe(201);
  letter = created.body;
});

afterAll(async () => {
  await stack?.destroy();
  await new Promise((resolve) => server?.close(resolve));
});

/** Every hostile value, as the reader of the letter must see it. */
function literals(): string[] {
  return [
    hostile.council,
    ...hostile.summaryLines,
    ...hostile.findings,
    hostile.directorName,
    hostile.addressLines[0],
    hostile.addressLines[1],
    hostile.chiefExecutiveName,
    hostile.dfeOrganisation,
    hostile.inspectorName,
    hostile.inspectorTitle,
  ];
}

/** What must hold of any PDF printed from the hostile letter. */
function expectPrintedLiterally(text: string) {
  const flat = squash(text);
  for (const literal of literals()) expect(flat).toContain(squash(literal));
  // Template syntax is printed, never evaluated.
  expect(flat).toContain('MARKSUMA{{7*7}}MARKSUMB');
  expect(flat).toContain('MARKFINA{{7*7}}MARKFINB');
  expect(flat).not.toContain('MARKSUMA49MARKSUMB');
  expect(flat).not.toContain('MARKFINA49MARKFINB');
  expect(text).not.toMatch(/\b49\b/);
  expect(flat).not.toContain('LOOPEDLOOPED');
  // Nothing was included, fetched or run.
  expect(text).not.toContain(PASSWD_LINE);
  expect(text).not.toContain('LEAKED-FROM-SERVER');
}

/** What must hold of any HTML made from the hostile letter. */
function expectEscaped(html: string) {
  // The template's own markup has no such elements; any here would have come from the letter.
  expect(html).not.toMatch(/<(script|iframe|img|link|object|embed)\b/i);
  expect(html).not.toContain('http-equiv="refresh"');
  expect(html).not.toContain('<h1>Injected');
  expect(html).not.toContain(`"><img`);
  expect(html).toContain('&lt;script&gt;document.write(&quot;SCRIPT-RAN&quot;)&lt;/script&gt;');
  expect(html).toContain('&lt;iframe src=&quot;file:///etc/passwd&quot;');
  expect(html).toContain('MARKSUMA {{ 7*7 }} MARKSUMB');
  expect(html).toContain('{% include &quot;/etc/passwd&quot; %}');
  expect(html).toContain('Tom &amp;amp; Jerry &amp;lt;b&amp;gt;');
  expect(html).not.toContain(PASSWD_LINE);
  expect(html).not.toMatch(/\b49\b/);
  // The only style sheets are the template's: none of them names the loopback server.
  const sheets = [...html.matchAll(/<style>([\s\S]*?)<\/style>/g)].map((m) => m[1]);
  expect(sheets.length).toBeGreaterThan(0);
  for (const sheet of sheets) expect(sheet).not.toContain(origin);
  expect(html).not.toMatch(/ style="[^"]*url\(/);
}

describe('a letter full of markup, scripts and template syntax', () => {
  it('is stored as written', async () => {
    const stored = (await inspector.get(`/api/letters/${letter.id}`)).body;
    expect(stored.authority.name).toBe(hostile.council);
    expect(stored.summary).toBe(hostile.summaryLines.join('\n'));
    expect(stored.findings.map((f: any) => f.text)).toEqual(hostile.findings);
  });

  it('shows it escaped in the HTML preview, under a policy that forbids scripts and loads', async () => {
    const preview = await inspector.get(`/api/letters/${letter.id}/preview`);
    expect(preview.status).toBe(200);
    expect(preview.headers.get('content-security-policy')).toContain("default-src 'none'");
    expectEscaped(preview.text);
    expect(preview.text).toContain('DRAFT');
  });

  it('prints it literally in the DRAFT PDF preview, loading nothing', async () => {
    // The PDF has a path of its own (its own function on AWS); the older query form points there.
    const redirect = await getBytes(inspector, `/api/letters/${letter.id}/preview?format=pdf`);
    expect(redirect.status).toBe(302);
    expect(redirect.headers.get('location')).toBe(`/api/letters/${letter.id}/preview.pdf`);
    const preview = await getBytes(inspector, `/api/letters/${letter.id}/preview.pdf`);
    expect(preview.status).toBe(200);
    expect(preview.headers.get('content-type')).toBe('application/pdf');
    const read = await readPdf(preview.bytes);
    expect(read.text).toContain('DRAFT');
    expectPrintedLiterally(read.text);
    expect(read.info.Title).toContain(hostile.council);
    expect(hits).toEqual([]);
  });

  it('archives and sends it literally after approval, loading nothing', async () => {
    const submitted = await inspector.post(`/api/letters/${letter.id}/submit`);
    expect(submitted.status).toBe(200);
    await approve(manager, submitted.body);
    await stack.queue.idle();

    const archived = (await manager.get(`/api/letters/${letter.id}`)).body;
    expect(archived.status).toBe('distributed');
    expect(stack.queue.deadLetters).toEqual([]);

    // The archived PDF, fetched the way a reader fetches it.
    const pdf = await archivedPdfViaApi(manager, letter.id);
    expect(sha256(pdf)).toBe(archived.pdf.sha256);
    const read = await readPdf(pdf);
    expect(read.text).not.toContain('DRAFT');
    expectPrintedLiterally(read.text);
    expect(read.info.Title).toContain(hostile.council);
    expect(read.info.Author).toContain(hostile.inspectorName);

    // Its accessible HTML twin.
    const record = await stack.deps.letters.get(letter.id);
    expectEscaped((await archivedObject(stack, record!.pdf!.htmlKey)).toString('utf8'));

    // The emails: one each, the archived bytes attached, the note escaped.
    const outbox = await stack.outbox();
    for (const address of addressesOf(recipients, hostile.council)) {
      const messages = messagesTo(outbox, address);
      expect(messages).toHaveLength(1);
      expect(messages[0].subject).toContain(hostile.council);
      expect(messages[0].attachments.map((a) => a.sha256)).toEqual([archived.pdf.sha256]);
    }
    const store = (await (await fetch(`${stack.emulators.sesUrl}/store`)).json()) as { emails: { body: { html?: string; text?: string } }[] };
    const notes = store.emails.map((e) => e.body.html ?? '');
    expect(notes).toHaveLength(3);
    for (const html of notes) {
      expect(html).toContain('&lt;script&gt;');
      expect(html).not.toMatch(/<(script|iframe|img)\b/i);
    }

    // Late loads would show up here too: give the browser a moment to have tried.
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(hits).toEqual([]);
  });
});

describe('bidirectional overrides', () => {
  // They would let the printed letter read differently from the stored data, so they never get in.
  const cases: { name: string; send: () => Promise<{ status: number; body: any }>; field: string }[] = [
    {
      name: 'in the council name',
      send: () => inspector.post('/api/letters', { ...exampleLetter(), authority: { name: 'Durham \u202Elicnuoc ytnuoc' } }),
      field: 'authority.name',
    },
    {
      name: 'in the summary',
      send: () => inspector.post('/api/letters', { ...exampleLetter(), summary: 'Safe \u2067hidden\u2069 text' }),
      field: 'summary',
    },
    {
      name: 'in a name',
      send: () => {
        const body = exampleLetter();
        body.recipients.director.name = 'David \u202DWilliams';
        return inspector.post('/api/letters', body);
      },
      field: 'recipients.director.name',
    },
    {
      name: 'in a new finding',
      send: async () => {
        // The DfE copy is left to the configuration, which this file makes hostile.
        const { dfe: _dfe, ...recipients } = exampleLetter().recipients;
        const draft = await inspector.createLetter({ recipients });
        return inspector.post(`/api/letters/${draft.id}/findings`, { category: 'strength', text: 'Good \u202Ekrow' });
      },
      field: 'text',
    },
  ];
  for (const c of cases) {
    it(`are refused ${c.name} with 422`, async () => {
      const response = await c.send();
      expect(response.status).toBe(422);
      expect(response.body.errors).toEqual(
        expect.arrayContaining([{ field: c.field, message: 'must not contain control or bidirectional override characters' }]),
      );
    });
  }
});
