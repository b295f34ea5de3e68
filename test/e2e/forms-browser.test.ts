import { mkdirSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { Browser, Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { createApp } from '../../lambdas/handlers/http/app';
import {
  axeViolations,
  choose,
  clickAndWait,
  countJourney,
  fill,
  fillAll,
  launchBrowser,
  openPage,
  signIn,
  type TestPage,
  text,
  texts,
  valueOf,
} from '../support/browser';
import { orderedFindings } from '../../lambdas/core/letter';
import { readPdf } from '../support/pdf-text';
import { addCouncil, approve, archivedPdfViaApi } from '../support/pipeline-helpers';
import { exampleLetter, startTestStack, submittedLetter, type TestStack } from '../support/stack';

/** Screenshots for docs/forms.md, taken as the story unfolds when SCREENSHOTS=1. */
const SCREENSHOTS = process.env.SCREENSHOTS === '1';
const SCREENSHOT_DIR = join(import.meta.dirname, '..', '..', 'docs', 'screenshots');

let stack: TestStack;
let browser: Browser;
let inspector: TestPage;
let manager: TestPage;
let letterUrl: string;

/** The top of the page, at most `maxHeight` pixels of it: enough to show what the page is for. */
async function screenshot(page: Page, name: string, maxHeight = 1400) {
  if (!SCREENSHOTS) return;
  mkdirSync(SCREENSHOT_DIR, { recursive: true });
  const height = await page.evaluate(() => {
    window.scrollTo(0, 0);
    return document.documentElement.scrollHeight;
  });
  await page.screenshot({
    path: join(SCREENSHOT_DIR, `${name}.png`),
    clip: { x: 0, y: 0, width: 1000, height: Math.min(height, maxHeight) },
    captureBeyondViewport: true,
  });
}

async function expectAccessible(page: Page) {
  expect(await axeViolations(page)).toEqual([]);
}

/** The example letter's facts as a person would type them into the form, field by field. */
function exampleFormValues(): Record<string, string> {
  const l = exampleLetter();
  const [sy, sm, sd] = l.inspection.startDate.split('-');
  const [ey, em, ed] = l.inspection.endDate.split('-');
  const [ly, lm, ld] = l.letterDate.split('-');
  const [py, pm] = l.inspection.previousInspection.month.split('-');
  const d = l.recipients.director;
  return {
    'authority-name': l.authority.name,
    'inspection-startDate-day': String(Number(sd)),
    'inspection-startDate-month': String(Number(sm)),
    'inspection-startDate-year': sy,
    'inspection-endDate-day': String(Number(ed)),
    'inspection-endDate-month': String(Number(em)),
    'inspection-endDate-year': ey,
    'inspection-previousInspection-month-month': String(Number(pm)),
    'inspection-previousInspection-month-year': py,
    'letterDate-day': String(Number(ld)),
    'letterDate-month': String(Number(lm)),
    'letterDate-year': ly,
    summary: l.summary,
    'inspector-name': l.inspector.name,
    'inspector-jobTitle': l.inspector.jobTitle,
    'sender-directPhone': l.sender.directPhone,
    'sender-directEmail': l.sender.directEmail,
  };
}

async function fillExampleLetter(page: Page) {
  await choose(page, 'previousInspection', 'yes');
  await choose(page, 'inspection-previousInspection-developmentAreasAddressed', 'yes');
  await fillAll(page, exampleFormValues());
}

/** The session cookie of a page, for requests made outside the browser. */
async function cookieHeader(page: Page) {
  const cookies = await page.browserContext().cookies();
  return cookies.map((c) => `${c.name}=${c.value}`).join('; ');
}

beforeAll(async () => {
  [stack, browser] = await Promise.all([startTestStack(), launchBrowser()]);
  [inspector, manager] = await Promise.all([openPage(browser), openPage(browser)]);
  // Councils of the tests' own letters, so that search by council finds only those.
  const keeper = await stack.as('manager', 'Directory Keeper');
  for (const name of ['Testshire County Council', 'Conflict Borough Council', 'Empty Borough Council', 'Plain Borough Council', 'Four Eyes Borough Council']) {
    await addCouncil(keeper, name, exampleLetter().recipients);
  }
});

afterAll(async () => {
  await browser?.close();
  await stack?.destroy();
});

/** The example's findings of one category, as text pasted from a draft in one of three shapes. */
function pasted(category: string, shape: 'paragraphs' | 'bullets' | 'lines'): { texts: string[]; text: string } {
  const texts = (exampleLetter().findings as { category: string; text: string }[]).filter((f) => f.category === category).map((f) => f.text);
  if (shape === 'paragraphs') return { texts, text: texts.join('\r\n\r\n') };
  if (shape === 'lines') return { texts, text: texts.join('\n') };
  // Bullets as a PDF gives them: each wrapped over several lines.
  const wrap = (t: string) => t.replace(/(.{1,70})(\s|$)/g, '$1\n').trim();
  return { texts, text: texts.map((t) => `•  ${wrap(t)}`).join('\n') };
}

const taskStatuses = (page: Page) =>
  page.$$eval('.govuk-task-list__item', (items) =>
    items.map((i) => [i.querySelector('.govuk-task-list__name-and-hint > :first-child')!.textContent!.trim(), i.querySelector('.govuk-task-list__status')!.textContent!.trim()]),
  );

describe('an inspector drafts the example letter', () => {
  it('takes it from signing in to submitted in at most 12 page loads and 6 form submissions', async () => {
    const { page } = inspector;
    const journey = countJourney(page);

    await page.goto(`${stack.url}/letters`);
    expect(new URL(page.url()).pathname).toBe('/sign-in');
    expect(await text(page, 'h1')).toBe('Sign in');
    await expectAccessible(page);
    await screenshot(page, '1-sign-in');
    await choose(page, 'role', 'inspector');
    await fill(page, 'name', 'Simon Rushall');
    await clickAndWait(page, 'form[action="/sign-in"] button');

    expect(new URL(page.url()).pathname).toBe('/letters');
    expect(await text(page, '.govuk-service-navigation')).toContain('Simon Rushall (inspector)');
    const session = (await page.browserContext().cookies()).find((c) => c.name === 'letters_session')!;
    expect(session).toMatchObject({ httpOnly: true, sameSite: 'Lax', path: '/' });
    expect(await text(page, 'main')).toContain('There are no letters yet.');
    await expectAccessible(page);

    await clickAndWait(page, 'a[href="/letters/new"]');
    await fillExampleLetter(page);
    await clickAndWait(page, 'form button.govuk-button');

    letterUrl = page.url().replace(/[?#].*$/, '');
    expect(letterUrl).toMatch(/\/letters\/[0-9A-Z]{26}$/);
    expect(await text(page, '.govuk-notification-banner')).toContain('Letter saved as a draft');
    expect(await text(page, 'h1')).toBe('Durham County Council');
    expect(await taskStatuses(page)).toEqual([
      ['Inspection details', 'Completed'],
      ['Lead inspector and contact details', 'Completed'],
      ['Recipients', 'Completed'],
      ['Findings', 'Not yet started'],
      ['Check and submit', 'Cannot start yet'],
    ]);
    await expectAccessible(page);
    await screenshot(page, '3-task-list', 1100);

    // Each category pasted at once, in a different shape each time.
    const shapes = [['strength', 'paragraphs'], ['meetsRequirements', 'bullets'], ['areaForDevelopment', 'lines']] as const;
    for (const [category, shape] of shapes) {
      const { texts: expected, text: box } = pasted(category, shape);
      await clickAndWait(page, `a[href$="/findings/paste?category=${category}"]`);
      if (category === 'meetsRequirements') {
        await expectAccessible(page);
        await fill(page, 'findings', box);
        await screenshot(page, '4-paste-findings', 1200);
      } else {
        await fill(page, 'findings', box);
      }
      await clickAndWait(page, 'form button.govuk-button');
      expect(await text(page, '.govuk-notification-banner')).toContain(`${expected.length} ${expected.length === 1 ? 'finding' : 'findings'} added.`);
      expect(await texts(page, `#${category} + ol > li .app-finding`)).toEqual(expected);
    }
    expect(await text(page, '#findings')).toBe('Findings (14)');
    expect((await taskStatuses(page)).slice(3)).toEqual([['Findings', '14 findings'], ['Check and submit', 'Not yet started']]);

    await clickAndWait(page, 'a[href$="/check"]');
    expect(await text(page, 'h1')).toBe('Check the letter before you submit it');
    expect(await texts(page, '.govuk-summary-card__title')).toEqual(['Director of children’s services', 'Chief executive', 'Department for Education']);
    await expectAccessible(page);
    await screenshot(page, '5-check-and-submit', 1600);
    await clickAndWait(page, 'form[action$="/submit"] button');

    expect(await text(page, '.govuk-notification-banner')).toContain('Letter submitted for approval');
    expect(await text(page, 'main .govuk-tag')).toBe('Submitted');
    expect(await text(page, '#actions')).toContain('waiting for a manager');
    journey.stop();
    expect({ loads: journey.loads, submissions: journey.submissions }).toEqual({ loads: 12, submissions: 6 });

    const stored = await stack.deps.letters.get(letterUrl.split('/').pop()!);
    const { findings, ...facts } = exampleLetter();
    expect(stored!.facts).toEqual(facts);
    expect(orderedFindings(stored!.findings).map((f) => [f.category, f.text])).toEqual(findings.map((f: any) => [f.category, f.text]));
  });

  it('shows each mistake in an error summary linked to its field, keeping what was typed', async () => {
    const { page } = inspector;
    const before = (await stack.deps.letters.list({ limit: 50 })).items.length;
    await page.goto(`${stack.url}/letters/new`);
    await fillExampleLetter(page);
    await fillAll(page, {
      'authority-name': '   ',
      'inspection-startDate-month': '', // a date without its month
      'letterDate-day': '1', // before the inspection ended
      'letterDate-month': '1',
      'sender-directEmail': 'simon.rushall-at-ofsted',
      'inspector-name': 'x'.repeat(201),
    });
    await clickAndWait(page, 'form button.govuk-button');

    expect(await page.title()).toMatch(/^Error: /);
    const summary = await page.$$eval('.govuk-error-summary__list a', (links) =>
      links.map((a) => ({ text: a.textContent!.trim(), href: a.getAttribute('href') })),
    );
    expect(summary).toEqual([
      { text: 'Enter the council', href: '#authority-name' },
      { text: 'The first day of the inspection must include a month', href: '#inspection-startDate-month' },
      { text: 'The date of the letter must be the same as or after the last day of the inspection', href: '#letterDate-day' },
      { text: 'The inspector’s name must be 200 characters or fewer', href: '#inspector-name' },
      { text: 'Enter the contact email address in the correct format, like name@example.com', href: '#sender-directEmail' },
    ]);
    // Each message also sits by its field, and every link leads to a field that exists.
    for (const { href } of summary) expect(await page.$(href!)).not.toBeNull();
    expect(await text(page, '#authority-name-error')).toContain('Enter the council');
    expect(await page.$eval('#inspection-startDate-month', (el) => el.className)).toContain('govuk-input--error');
    expect(await page.$eval('#inspection-startDate-day', (el) => el.className)).not.toContain('govuk-input--error');
    // What the person typed is still there, mistakes included.
    expect(await valueOf(page, 'sender-directEmail')).toBe('simon.rushall-at-ofsted');
    expect(await valueOf(page, 'inspector-jobTitle')).toBe(exampleLetter().inspector.jobTitle);
    expect(await valueOf(page, 'letterDate-day')).toBe('1');
    expect(await page.$eval('#previousInspection', (el) => (el as HTMLInputElement).checked)).toBe(true);

    // govuk-frontend's script moves focus to the summary, and its links to the fields.
    expect(await page.evaluate(() => document.activeElement?.className)).toContain('govuk-error-summary');
    await screenshot(page, '2-error-summary', 1200);
    await page.click('.govuk-error-summary__list a[href="#sender-directEmail"]');
    expect(await page.evaluate(() => document.activeElement?.id)).toBe('sender-directEmail');
    // The form asks nothing the council directory knows: no recipients' fields.
    expect(await page.$('[name^="recipients-"]')).toBeNull();
    await expectAccessible(page);

    // "No" to a previous inspection with its month typed, and a day no year has: both said in words.
    await choose(page, 'previousInspection', 'no');
    await fillAll(page, { 'authority-name': 'Durham County Council', 'letterDate-day': '31', 'letterDate-month': '2', 'letterDate-year': '11' });
    await clickAndWait(page, 'form button.govuk-button');
    const messages = await texts(page, '.govuk-error-summary__list a');
    expect(messages).toContain('You said the council was not inspected like this before: remove the month of the previous inspection, or choose Yes');
    expect(messages).toContain('The date of the letter must be a real date, and its year must include 4 numbers');
    expect((await stack.deps.letters.list({ limit: 50 })).items).toHaveLength(before);
  });

  it('adds findings one after another, changes one and comes back to it, and removes one', async () => {
    const letter = await (await stack.as('inspector', 'Simon Rushall')).createLetter({ authority: { name: 'Addmore Borough Council' }, findings: [] });
    const { page } = inspector;
    await page.goto(`${stack.url}/letters/${letter.id}`);
    await clickAndWait(page, 'a[href$="/findings/new?category=areaForDevelopment"]');
    expect(await text(page, 'h1')).toBe('Add an area for development');
    await fill(page, 'text', 'The first area.');
    await clickAndWait(page, 'button[name="then"][value="another"]');
    // Save and add another: the same form again, the category kept, the text empty.
    expect(await text(page, 'h1')).toBe('Add an area for development');
    expect(await text(page, '.govuk-notification-banner')).toContain('Finding added');
    expect(await page.$eval('input[name="category"][value="areaForDevelopment"]', (el) => (el as HTMLInputElement).checked)).toBe(true);
    expect(await valueOf(page, 'text')).toBe('');
    await expectAccessible(page);
    // Typed with line breaks, as a browser sends them (CR LF): kept as the letter prints them.
    await fill(page, 'text', 'The second area, first line.\nIts second line.\n\nA second paragraph.');
    await clickAndWait(page, 'form button.govuk-button:not([name])');

    const secondId = new URL(page.url()).hash.replace('#finding-', '');
    expect(await texts(page, '#areaForDevelopment + ol > li .app-finding')).toEqual([
      'The first area.',
      'The second area, first line.\nIts second line.\n\nA second paragraph.',
    ]);
    const stored = (await stack.deps.letters.get(letter.id))!;
    expect(stored.findings.find((f) => f.id === secondId)!.text).toBe('The second area, first line.\nIts second line.\n\nA second paragraph.');

    // Change it: back at that finding, not at the top of the page. Someone adds a finding while
    // the form is open: the save is held back and says so, keeping the text, then goes through.
    await clickAndWait(page, `#finding-${secondId} a[href$="/edit"]`);
    expect(await text(page, 'h1')).toBe('Change area for development');
    await fill(page, 'text', 'Changed: <script>alert(1)</script> is text.');
    await (await stack.as('inspector', 'Simon Rushall')).post(`/api/letters/${letter.id}/findings`, { category: 'strength', text: 'Added meanwhile.' });
    await clickAndWait(page, 'form button.govuk-button');
    expect(await texts(page, '.govuk-error-summary__list a')).toEqual([expect.stringContaining('Someone else changed this letter while you were changing this finding. Nothing has been saved yet.')]);
    expect(await valueOf(page, 'text')).toBe('Changed: <script>alert(1)</script> is text.');
    await clickAndWait(page, 'form button.govuk-button');
    expect(new URL(page.url()).hash).toBe(`#finding-${secondId}`);
    expect(await text(page, `#finding-${secondId} .app-finding`)).toBe('Changed: <script>alert(1)</script> is text.');

    await clickAndWait(page, `#finding-${secondId} a[href$="/remove"]`);
    expect(await text(page, 'h1')).toBe('Remove this finding?');
    await clickAndWait(page, 'form button.govuk-button--warning');
    expect(await text(page, '.govuk-notification-banner')).toContain('Finding removed');
    expect(await texts(page, '#areaForDevelopment + ol > li .app-finding')).toEqual(['The first area.']);
    // Back, to the page that said "Finding removed": it does not say so again.
    await page.goBack();
    await page.goBack();
    expect(await page.$('.govuk-notification-banner--success')).toBeNull();
  });

  it('moves findings up and down without JavaScript, and the PDF prints them in the new order', async () => {
    const author = await stack.as('inspector', 'Mo Mover');
    const letter = await author.createLetter({ authority: { name: 'Reorder District Council' } });
    const plain = await openPage(browser);
    try {
      const { page } = plain;
      await page.setJavaScriptEnabled(false);
      await signIn(page, stack.url, 'inspector', 'Mo Mover');
      await page.goto(`${stack.url}/letters/${letter.id}`);
      const areas = () => texts(page, '#areaForDevelopment + ol > li .app-finding');
      const [a, b, c] = await areas();
      await clickAndWait(page, '#areaForDevelopment + ol > li:nth-child(3) button[value="up"]');
      expect(await areas()).toEqual([a, c, b]);
      expect(await text(page, '.govuk-notification-banner')).toContain('Finding moved');
      await clickAndWait(page, '#areaForDevelopment + ol > li:nth-child(1) button[value="down"]');
      expect(await areas()).toEqual([c, a, b]);
      expect(new URL(page.url()).hash).toMatch(/^#finding-/);
      expect(await page.$('#areaForDevelopment + ol > li:nth-child(1) button[value="up"]')).toBeNull();
      expect(await page.$('#areaForDevelopment + ol > li:nth-child(3) button[value="down"]')).toBeNull();

      const submitted = await author.post(`/api/letters/${letter.id}/submit`);
      await approve(await stack.as('manager', 'Mary Manager'), submitted.body);
      await stack.queue.idle();
      const pdf = await readPdf(await archivedPdfViaApi(await stack.as('reader'), letter.id));
      const flat = pdf.text.replace(/\s+/g, ' ');
      const at = [c, a, b].map((t) => flat.indexOf(t!.slice(0, 40)));
      expect(at.every((i) => i > 0)).toBe(true);
      expect([...at].sort((x, y) => x - y)).toEqual(at);
    } finally {
      await plain.close();
    }
  });

  it('changes a fact through the edit form, changing only that field, with paragraphs in the summary', async () => {
    const letter = await (await stack.as('inspector', 'Simon Rushall')).createLetter({ authority: { name: 'Editwell Borough Council' } });
    const { page } = inspector;
    await page.goto(`${stack.url}/letters/${letter.id}`);
    await clickAndWait(page, 'a[href$="/edit#summary"]');
    expect(await valueOf(page, 'inspector-name')).toBe(exampleLetter().inspector.name);
    await fill(page, 'summary', `${exampleLetter().summary} `);
    await clickAndWait(page, 'form button.govuk-button');
    expect(await text(page, '.govuk-notification-banner')).toContain('Nothing was changed');

    await clickAndWait(page, 'a[href$="/edit#summary"]');
    await fill(page, 'summary', 'A first paragraph.\n\nA second paragraph.');
    await clickAndWait(page, 'form button.govuk-button');
    expect(await text(page, '.govuk-notification-banner')).toContain('saved');
    const stored = await stack.deps.letters.get(letter.id);
    expect(stored!.facts.summary).toBe('A first paragraph.\n\nA second paragraph.');
    expect(stored!.history[0]).toMatchObject({ action: 'edited', detail: 'summary', by: { name: 'Simon Rushall' } });
  });

  it('refuses a form post without the session’s CSRF token, or from another site', async () => {
    const letter = await (await stack.as('inspector', 'Simon Rushall')).createLetter({ authority: { name: 'Checkpost Borough Council' } });
    const { page } = inspector;
    const id = letter.id;
    await page.goto(`${stack.url}/letters/${id}/check`);
    const version = await page.$eval('form[action$="/submit"] input[name="version"]', (el) => (el as HTMLInputElement).value);
    const letterPath = `/letters/${id}`;

    // Same origin, same cookie, no token.
    const withoutToken = await page.evaluate(async (v, path) => {
      const r = await fetch(`${path}/submit`, { method: 'POST', body: new URLSearchParams({ version: v }) });
      return { status: r.status, body: await r.text() };
    }, version, letterPath);
    expect(withoutToken.status).toBe(403);
    expect(withoutToken.body).toContain('could not be checked');

    // A token from another session.
    const otherToken = await page.evaluate(async (v, path) => {
      const r = await fetch(`${path}/submit`, { method: 'POST', body: new URLSearchParams({ version: v, csrfToken: 'x'.repeat(43) }) });
      return r.status;
    }, version, letterPath);
    expect(otherToken).toBe(403);

    // The right cookie and token, posted from another origin: refused by the origin check.
    const token = await page.$eval('input[name="csrfToken"]', (el) => (el as HTMLInputElement).value);
    const crossSite = await fetch(`${stack.url}${letterPath}/submit`, {
      method: 'POST',
      headers: { Cookie: await cookieHeader(page), Origin: 'http://evil.example', 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ version, csrfToken: token }),
      redirect: 'manual',
    });
    expect(crossSite.status).toBe(403);

    // Signing in needs the sign-in form's own token.
    const signInWithoutToken = await fetch(`${stack.url}/sign-in`, {
      method: 'POST',
      headers: { Origin: stack.url, 'Content-Type': 'application/x-www-form-urlencoded' },
      body: new URLSearchParams({ role: 'manager', name: 'Mallory' }),
      redirect: 'manual',
    });
    expect(signInWithoutToken.status).toBe(403);
    expect(signInWithoutToken.headers.get('set-cookie') ?? '').not.toContain('letters_session');

    expect((await stack.deps.letters.get(id))!.status).toBe('draft');
  });
});

describe('when the session ends', () => {
  it('keeps a finding posted after the session ended through signing in again, and saves it', async () => {
    const letter = await (await stack.as('inspector', 'Kim Kept')).createLetter({ authority: { name: 'Keepsake Borough Council' }, findings: [] });
    const person = await openPage(browser);
    try {
      const { page } = person;
      await signIn(page, stack.url, 'inspector', 'Kim Kept');
      await page.goto(`${stack.url}/letters/${letter.id}/findings/new?category=strength`);
      const typed = 'Typed before the session ended.\nWith a second line.';
      await fill(page, 'text', typed);
      // The session ends while the person types.
      await page.deleteCookie({ name: 'letters_session', url: stack.url });
      await clickAndWait(page, 'form button.govuk-button:not([name])');

      expect(new URL(page.url()).pathname).toBe('/sign-in');
      expect(await text(page, '#signed-out-notice')).toContain('You were signed out. Sign in to save your finding.');
      await expectAccessible(page);
      await screenshot(page, '8-signed-out-notice', 900);
      expect((await stack.deps.letters.get(letter.id))!.findings).toHaveLength(0);

      await choose(page, 'role', 'inspector');
      await fill(page, 'name', 'Kim Kept');
      await clickAndWait(page, 'form[action="/sign-in"] button');
      expect(new URL(page.url()).pathname).toBe('/letters/resume');
      expect(await text(page, 'main')).toContain(typed);
      await expectAccessible(page);
      await screenshot(page, '9-save-kept-finding', 900);
      await clickAndWait(page, 'form button.govuk-button');

      expect(await text(page, '.govuk-notification-banner')).toContain('Finding added');
      const stored = (await stack.deps.letters.get(letter.id))!;
      expect(stored.findings.map((f) => [f.category, f.text])).toEqual([['strength', typed]]);
      expect(new URL(page.url()).hash).toBe(`#finding-${stored.findings[0]!.id}`);
      // Kept once: nothing is waiting any more.
      await page.goto(`${stack.url}/letters/resume`);
      expect(new URL(page.url()).pathname).toBe('/letters');
    } finally {
      await person.close();
    }
  });

  it('warns two minutes before the session ends, and "Stay signed in" extends it without leaving the page', async () => {
    const letter = await (await stack.as('inspector', 'Tim Timeout')).createLetter({ authority: { name: 'Timely Borough Council' }, findings: [] });
    const person = await openPage(browser);
    try {
      const { page } = person;
      const shortLived = await stack.issuer.issue('inspector', 'Tim Timeout', 125);
      await page.setCookie({ name: 'letters_session', value: shortLived, url: stack.url, httpOnly: true, sameSite: 'Lax' });
      await page.goto(`${stack.url}/letters/${letter.id}/findings/new?category=strength`);
      await fill(page, 'text', 'Half-typed and not yet saved.');
      await page.waitForSelector('#session-timeout[open]', { timeout: 15_000 });
      expect(await text(page, '#session-timeout-text')).toMatch(/you will be signed out in (2 minutes|1 minute)/);
      expect(await page.evaluate(() => document.activeElement?.id)).toBe('session-timeout-stay');
      await expectAccessible(page);
      await screenshot(page, '10-timeout-warning', 800);

      await page.click('#session-timeout-stay');
      await page.waitForSelector('#session-timeout:not([open])');
      const renewed = (await page.browserContext().cookies()).find((c) => c.name === 'letters_session')!;
      expect(renewed.value).not.toBe(shortLived);
      const payload = JSON.parse(Buffer.from(renewed.value.split('.')[1]!, 'base64url').toString('utf8'));
      expect(payload.exp - Date.now() / 1000).toBeGreaterThan(3600);
      // Still on the same page, with what was typed, and focus back where it was.
      expect(await valueOf(page, 'text')).toBe('Half-typed and not yet saved.');
      expect(await page.evaluate(() => document.activeElement?.id)).toBe('text');
    } finally {
      await person.close();
    }
  });
});

describe('a manager approves it and it is sent', () => {
  it('previews the draft as HTML and as a DRAFT PDF', async () => {
    const { page } = manager;
    await signIn(page, stack.url, 'manager', 'Mary Manager');
    await page.goto(letterUrl);
    const previews = await page.evaluate(async () => {
      const html = await fetch(`${location.pathname}/preview`);
      const pdf = await fetch(`${location.pathname}/preview.pdf`);
      return {
        html: { status: html.status, type: html.headers.get('content-type'), csp: html.headers.get('content-security-policy'), body: await html.text() },
        pdf: { status: pdf.status, type: pdf.headers.get('content-type'), head: new TextDecoder().decode((await pdf.arrayBuffer()).slice(0, 5)) },
      };
    });
    expect(previews.html).toMatchObject({ status: 200, type: 'text/html; charset=utf-8' });
    expect(previews.html.csp).toContain("default-src 'none'");
    expect(previews.html.body).toContain('Durham County Council');
    expect(previews.pdf).toEqual({ status: 200, type: 'application/pdf', head: '%PDF-' });
  });

  it('sees the letter and the covering emails before the button that approves and sends them', async () => {
    const { page } = manager;
    await page.goto(letterUrl);
    expect(await text(page, '#decision')).toBe('Approve or return');
    expect(await text(page, 'form[action$="/approve"] button')).toBe('Approve and send to 3 recipients');
    // In the order Notify shows it: the letter, who it goes to with their emails, then the button.
    const order = await page.evaluate(() =>
      ['iframe.app-letter-preview', '#recipients', '.govuk-summary-card', 'form[action$="/approve"]'].map((sel) => {
        const all = [...document.querySelectorAll('main *')];
        return all.indexOf(document.querySelector(sel)!);
      }),
    );
    expect(order.every((i) => i >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    const director = await text(page, '.govuk-summary-card:first-of-type');
    expect(director).toContain('David Williams <david.williams@durham.example>');
    expect(director).toContain('Inspection outcome letter: Durham County Council, 9 March 2011');
    expect(director).toContain('Dear Mr Williams');
    // The preview inside the page is the draft, marked as such.
    const preview = page.frames().find((f) => f.url().endsWith('/preview'))!;
    expect(await preview.$eval('.draft-mark', (el) => (el as HTMLElement).innerText.trim())).toBe('DRAFT');
    await expectAccessible(page);
    await screenshot(page, '6-manager-review', 3000);
  });

  it('approves, and sees the PDF and all three recipients sent', async () => {
    const { page } = manager;
    await page.goto(letterUrl);
    await clickAndWait(page, 'form[action$="/approve"] button');
    expect(await text(page, '.govuk-notification-banner')).toContain('Letter approved');
    await stack.queue.idle();

    await page.goto(letterUrl);
    expect(await text(page, 'main .govuk-tag')).toBe('Distributed');
    const pdfLink = await page.$eval('a[href$="/pdf"]', (a) => ({ href: a.getAttribute('href'), text: a.textContent!.trim() }));
    expect(pdfLink.text).toMatch(/^Download the letter \(PDF, \d+ KB, \d+ pages?\)$/);
    const deliveries = await page.$$eval('#deliveries tbody tr', (rows) =>
      rows.map((r) => [r.querySelector('th')!.textContent!.trim(), r.querySelector('.govuk-tag')!.textContent!.trim()]),
    );
    // Sent, or already reported delivered by the local SES.
    expect(deliveries.map(([who]) => who)).toEqual(['Director of children’s services', 'Chief executive', 'Department for Education']);
    for (const [, state] of deliveries) expect(state).toMatch(/^(Sent|Delivered)$/);
    expect(await text(page, '#history')).toContain('Approved');
    await expectAccessible(page);
    await screenshot(page, '7-distributed');

    // The accessible HTML twin beside the PDF, opened in its sandbox; the access log names who opened it.
    await clickAndWait(page, '#html-link');
    expect(await text(page, 'body')).toContain('Durham County Council');
    await page.goto(letterUrl);
    await clickAndWait(page, '#access-log');
    expect(await text(page, '#record')).toContain('Opened the web page version');
    expect(await text(page, '#record')).toContain('Mary Manager (manager)');
    await expectAccessible(page);
    await page.goto(letterUrl);
    // The whole record, checked: every link, hash and the head archived with the PDF.
    await clickAndWait(page, '#check-record');
    expect(await text(page, '#integrity')).toContain('The record holds');
    expect(await text(page, '#record')).toContain('Simon Rushall (inspector)');
    expect(await text(page, '#record')).not.toContain('[object Object]');
    await expectAccessible(page);
    await screenshot(page, '13-record-check', 1000);
    await page.goto(letterUrl);

    // The PDF link hands out a short-lived link to the archived bytes.
    const pdf = await fetch(`${stack.url}${pdfLink.href}`, { headers: { Cookie: await cookieHeader(page) }, redirect: 'manual' });
    expect(pdf.status).toBe(302);
    const archived = await fetch(pdf.headers.get('location')!);
    expect(archived.headers.get('content-type')).toBe('application/pdf');
  });

  it('shows the three emails in the local outbox', async () => {
    const { page } = manager;
    await page.goto(`${stack.url}/dev/outbox.html`);
    const rows = (await texts(page, 'tbody tr')).filter((r) => r.includes('Durham County Council'));
    expect(rows).toHaveLength(3);
    const to = rows.map((r) => r.split('\t')[1]);
    expect(to.sort()).toEqual(['andrew.spencer@education.example', 'david.williams@durham.example', 'george.garlick@durham.example']);
    for (const row of rows) expect(row).toMatch(/\.pdf \(application\/pdf, \d+ KB\)/);
    await expectAccessible(page);
    await screenshot(page, '11-outbox');
  });

  it('returns a letter with a comment, which its inspector then reads', async () => {
    const letter = await submittedLetter(await stack.as('inspector', 'Simon Rushall'), { authority: { name: 'Testshire County Council' } });
    const { page } = manager;
    await page.goto(`${stack.url}/letters/${letter.id}`);
    await clickAndWait(page, `a[href="/letters/${letter.id}/return"]`);
    await clickAndWait(page, 'form button.govuk-button');
    expect(await texts(page, '.govuk-error-summary__list a')).toEqual(['Enter what needs to change']);
    await expectAccessible(page);
    await fill(page, 'comment', 'Please say more about <the> audit systems.\nAnd the second line.');
    await clickAndWait(page, 'form button.govuk-button');
    expect(await text(page, '.govuk-notification-banner')).toContain('Letter returned');

    // A stale tab's second return says what happened, not a rule.
    await inspector.page.goto(`${stack.url}/letters/${letter.id}`);
    expect(await text(inspector.page, '#returned')).toContain('Returned by Mary Manager');
    expect(await text(inspector.page, '#returned')).toContain('Please say more about <the> audit systems.\nAnd the second line.');
    expect(await text(inspector.page, 'main .govuk-tag')).toBe('Returned');
    expect(await inspector.page.$$('.govuk-notification-banner')).toHaveLength(0);
    expect((await stack.deps.letters.get(letter.id))!.returnComment).toBe('Please say more about <the> audit systems.\nAnd the second line.');

    // The inspector changes a finding and submits again; the manager sees what changed.
    const before = await text(inspector.page, '#areaForDevelopment + ol > li:nth-child(2) .app-finding');
    await clickAndWait(inspector.page, '#areaForDevelopment + ol > li:nth-child(2) a[href$="/edit"]');
    await fill(inspector.page, 'text', 'Audit systems are now described in full.');
    await clickAndWait(inspector.page, 'form button.govuk-button');
    expect((await (await stack.as('inspector', 'Simon Rushall')).post(`/api/letters/${letter.id}/submit`)).status).toBe(200);

    await page.goto(`${stack.url}/letters/${letter.id}`);
    const changed = await page.$$eval('#history tbody tr', (rows) =>
      rows.map((r) => ({
        what: r.querySelector('td:nth-child(3)')!.firstChild!.textContent!.trim(),
        before: r.querySelector('.app-change__before')?.textContent,
        after: r.querySelector('.app-change__after')?.textContent,
      })).filter((r) => r.before !== undefined),
    );
    expect(changed).toEqual([{ what: 'Changed area for development 2', before, after: 'Audit systems are now described in full.' }]);
    await expectAccessible(page);
  });

  it('tells a manager who approved a letter, and when, when they approve it again from an old page', async () => {
    const letter = await submittedLetter(await stack.as('inspector', 'Simon Rushall'), { authority: { name: 'Stale Tab Council' } });
    const { page } = manager;
    await page.goto(`${stack.url}/letters/${letter.id}`);
    await approve(await stack.as('manager', 'Omar Other'), letter);
    await clickAndWait(page, 'form[action$="/approve"] button');
    expect(await text(page, '.govuk-notification-banner')).toMatch(/^Success\s+Omar Other approved this letter on \d+ \w+ \d{4} at \d+:\d{2}(am|pm)\. There is nothing more to approve\.$/);
    await stack.queue.idle();
  });

  it('lists letters, with those waiting for review first, and finds them by the start of a council’s name and year', async () => {
    const { page } = manager;
    await submittedLetter(await stack.as('inspector', 'Simon Rushall'), { authority: { name: 'Waiting Borough Council' } });
    await page.goto(`${stack.url}/letters`);
    expect(await texts(page, '#waiting tbody tr td:first-child a')).toEqual([
      '9 March 2011 letter, Waiting Borough Council',
      '9 March 2011 letter, Testshire County Council',
    ]);
    const rows = await page.$$eval('#found tbody tr', (trs) => trs.map((tr) => [tr.querySelector('a')!.textContent!.trim(), tr.querySelector('.govuk-tag')!.textContent!.trim()]));
    expect(rows).toEqual(expect.arrayContaining([
      ['9 March 2011 letter, Durham County Council', 'Distributed'],
      ['9 March 2011 letter, Testshire County Council', 'Submitted'],
    ]));
    await expectAccessible(page);
    await screenshot(page, '12-letters');
    // On a phone the list fits the screen.
    await page.setViewport({ width: 375, height: 700 });
    expect(await page.evaluate(() => document.documentElement.scrollWidth)).toBeLessThanOrEqual(375);
    await page.setViewport({ width: 1000, height: 800 });

    await fill(page, 'authority', 'Durham');
    await fill(page, 'year', '2011');
    await clickAndWait(page, 'form[role="search"] button');
    expect(await texts(page, '#found tbody tr td:first-child a')).toEqual(['9 March 2011 letter, Durham County Council']);
    expect(await valueOf(page, 'authority')).toBe('Durham County Council');
    await fill(page, 'year', '2010');
    await clickAndWait(page, 'form[role="search"] button');
    expect(await text(page, 'main')).toContain('No letters match your search.');

    await page.goto(`${stack.url}/letters?authority=Durhem`);
    expect(await text(page, 'main')).toContain('No letters match your search.');
    expect(await texts(page, '#suggestions a')).toEqual(['Durham County Council']);
    await expectAccessible(page);
    await clickAndWait(page, '#suggestions a');
    expect(await texts(page, '#found tbody tr td:first-child a')).toEqual(['9 March 2011 letter, Durham County Council']);
    // Picking from the list: the council names the browser offers as the person types.
    expect(await page.$$eval('#council-names option', (os) => os.map((o) => (o as HTMLOptionElement).value))).toEqual(
      expect.arrayContaining(['Durham County Council', 'Testshire County Council']),
    );
  });

  it('loads no script, style or font the policy refuses', () => {
    expect(inspector.cspViolations).toEqual([]);
    expect(manager.cspViolations).toEqual([]);
  });
});

describe('four eyes on the approval page', () => {
  it('tells a manager why they may not approve their own letter, in place of the Approve button', async () => {
    // Mary signs in to the manager page; a letter she wrote herself waits for approval.
    const letter = await submittedLetter(await stack.as('manager', 'Mary Manager'), { authority: { name: 'Four Eyes Borough Council' } });
    const { page } = manager;
    await page.goto(`${stack.url}/letters/${letter.id}`);
    expect(await page.$('form[action$="/approve"]')).toBeNull();
    expect(await text(page, '#four-eyes')).toContain('You cannot approve this letter');
    expect(await text(page, '#four-eyes')).toContain('You created this letter. Another manager must approve it');
    // Returning stays open to her.
    expect(await page.$(`a[href="/letters/${letter.id}/return"]`)).not.toBeNull();
    expect(await text(page, '#council-entry')).toContain('Four Eyes Borough Council’s entry in the council directory was last changed on');
    await expectAccessible(page);
    await screenshot(page, '8-four-eyes');

    // Another manager may approve it.
    const other = await openPage(browser);
    try {
      await signIn(other.page, stack.url, 'manager', 'Martin Manager');
      await other.page.goto(`${stack.url}/letters/${letter.id}`);
      expect(await other.page.$('#four-eyes')).toBeNull();
      expect(await other.page.$('form[action$="/approve"] button')).not.toBeNull();
    } finally {
      await other.close();
    }
  });

  it('offers the way on for a letter the render refused for its length: back to its authors', async () => {
    // Capital Ws are twice as wide as the page estimate's average letter: the render refuses it.
    const wide = Array.from({ length: 10 }, () => ({ category: 'strength', text: 'WWWWWWW '.repeat(375).trim() }));
    const letter = await submittedLetter(await stack.as('inspector', 'Simon Rushall'), { authority: { name: 'Plain Borough Council' }, findings: wide });
    await approve(await stack.as('manager', 'Mary Manager'), letter);
    await stack.queue.idle();

    const { page } = manager;
    await page.goto(`${stack.url}/letters/${letter.id}`);
    expect(await text(page, '#refused-at-render')).toContain('prints more than 20 pages, so it was not made into a PDF and nobody was sent it');
    await expectAccessible(page);
    await clickAndWait(page, `#refused-at-render a[href="/letters/${letter.id}/return"]`);
    await fill(page, 'comment', 'It prints too many pages: shorten the strengths.');
    await clickAndWait(page, 'form button.govuk-button');
    expect(await text(page, '.govuk-notification-banner')).toContain('Letter returned');
    expect(await text(page, 'main .govuk-tag')).toBe('Returned');
    const stored = (await stack.deps.letters.get(letter.id))!;
    expect(stored.status).toBe('draft');
    expect(stored.approval).toBeUndefined();
  });

  it("lists every difference between a letter's recipients and the council directory, with the reason", async () => {
    const draft = await (await stack.as('inspector', 'Simon Rushall')).createLetter({ authority: { name: 'Four Eyes Borough Council' } });
    const director = { ...exampleLetter().recipients.director, email: 'director.office@four-eyes.example', address: ['Room 1', 'Town Hall', 'FE1 1AA'] };
    const reason = 'The director asked for letters to go to <the> office.';
    const changed = await (await stack.as('manager', 'Omar Override')).patch(
      `/api/letters/${draft.id}`,
      { recipients: { director, reason } },
      { 'If-Match': String(draft.version) },
    );
    expect(changed.status).toBe(200);
    const submitted = await (await stack.as('inspector', 'Simon Rushall')).post(`/api/letters/${draft.id}/submit`);
    expect(submitted.status).toBe(200);

    const { page } = manager;
    await page.goto(`${stack.url}/letters/${draft.id}`);
    const rows = await page.$$eval('#address-differences + table tbody tr', (trs) =>
      trs.map((tr) => [...tr.querySelectorAll('th, td')].map((c) => (c as HTMLElement).innerText.trim())),
    );
    expect(rows).toEqual([
      ['Director’s postal address', 'County Hall, Durham, DH1 5UL', 'Room 1, Town Hall, FE1 1AA'],
      ['Director’s email address', 'david.williams@durham.example', 'director.office@four-eyes.example'],
    ]);
    expect(await text(page, 'main')).toContain(`Reason given by Omar Override on`);
    expect(await text(page, 'main')).toContain(reason);
    // Mary changed nothing here: she may approve, seeing where it will go.
    expect(await page.$('form[action$="/approve"] button')).not.toBeNull();
    await expectAccessible(page);
    await screenshot(page, '9-address-differences');
  });
});

describe('when things do not go to plan', () => {
  it('keeps an editor’s changes when someone else saved first, and lets them save over the other change', async () => {
    // A manager, who may change any draft, saves while the inspector who wrote it is editing.
    const other = await stack.as('manager', 'Siobhán O’Connor');
    const letter = await (await stack.as('inspector', 'Simon Rushall')).createLetter({ authority: { name: 'Conflict Borough Council' } });
    const { page } = inspector;
    await page.goto(`${stack.url}/letters/${letter.id}/edit`);
    await fill(page, 'summary', 'My summary.');
    expect((await other.patch(`/api/letters/${letter.id}`, { summary: 'Their summary.' }, { 'If-Match': '"1"' })).status).toBe(200);

    await clickAndWait(page, 'form button.govuk-button');
    expect(await texts(page, '.govuk-error-summary__list a')).toEqual([expect.stringContaining('Someone else changed this letter')]);
    expect(await valueOf(page, 'summary')).toBe('My summary.');
    expect((await stack.deps.letters.get(letter.id))!.facts.summary).toBe('Their summary.');

    await clickAndWait(page, 'form button.govuk-button');
    expect(await text(page, '.govuk-notification-banner')).toContain('saved');
    expect((await stack.deps.letters.get(letter.id))!.facts.summary).toBe('My summary.');
  });

  it('sends the version with finding edits and removals, and shows the conflict when someone changed the letter first', async () => {
    // The draft is the signed-in inspector's own; the other editor is a manager, who may edit any draft.
    const other = await stack.as('manager', 'Siobhán O’Connor');
    const letter = await (await stack.as('inspector', 'Simon Rushall')).createLetter({
      authority: { name: 'Finding Conflict Council' },
      findings: [{ category: 'strength', text: 'Their finding.' }],
    });
    const finding = letter.findings[0].id;
    const { page } = inspector;

    // An edit, overtaken by another editor's change.
    await page.goto(`${stack.url}/letters/${letter.id}/findings/${finding}/edit`);
    expect(await page.$eval('input[name="version"]', (el) => (el as HTMLInputElement).value)).toBe('1');
    await fill(page, 'text', 'My wording.');
    expect((await other.post(`/api/letters/${letter.id}/findings`, { category: 'strength', text: 'Another finding.' })).status).toBe(201);
    await clickAndWait(page, 'form button.govuk-button');
    expect(await texts(page, '.govuk-error-summary__list a')).toEqual([expect.stringContaining('Someone else changed this letter')]);
    expect(await valueOf(page, 'text')).toBe('My wording.');
    expect((await stack.deps.letters.get(letter.id))!.findings.find((f) => f.id === finding)!.text).toBe('Their finding.');
    await expectAccessible(page);
    await clickAndWait(page, 'form button.govuk-button');
    expect(await text(page, '.govuk-notification-banner')).toContain('saved');
    expect((await stack.deps.letters.get(letter.id))!.findings.find((f) => f.id === finding)!.text).toBe('My wording.');

    // A removal, overtaken the same way: nothing is removed until it is confirmed again.
    await page.goto(`${stack.url}/letters/${letter.id}/findings/${finding}/remove`);
    expect((await other.post(`/api/letters/${letter.id}/findings`, { category: 'strength', text: 'Yet another finding.' })).status).toBe(201);
    await clickAndWait(page, 'form button.govuk-button--warning');
    expect(await texts(page, '.govuk-error-summary__list a')).toEqual([expect.stringContaining('Someone else changed this letter')]);
    expect((await stack.deps.letters.get(letter.id))!.findings).toHaveLength(3);
    await clickAndWait(page, 'form button.govuk-button--warning');
    expect(await text(page, '.govuk-notification-banner')).toContain('Finding removed');
    expect((await stack.deps.letters.get(letter.id))!.findings).toHaveLength(2);
  });

  it('will not offer to submit a letter without findings, and says where to add them', async () => {
    const letter = await (await stack.as('inspector', 'Simon Rushall')).createLetter({ authority: { name: 'Empty Borough Council' }, findings: [] });
    const { page } = inspector;
    await page.goto(`${stack.url}/letters/${letter.id}`);
    expect((await taskStatuses(page)).slice(3)).toEqual([['Findings', 'Not yet started'], ['Check and submit', 'Cannot start yet']]);
    expect(await page.$('a[href$="/check"]')).toBeNull();
    await page.goto(`${stack.url}/letters/${letter.id}/check`);
    expect(new URL(page.url()).pathname).toBe(`/letters/${letter.id}`);
    // A submit posted anyway (an old page) is refused with the reason, linked to the findings.
    const token = await page.$eval('input[name="csrfToken"]', (el) => (el as HTMLInputElement).value);
    await page.evaluate((t, path) => {
      const form = document.createElement('form');
      form.method = 'post';
      form.action = `${path}/submit`;
      form.innerHTML = `<input name="csrfToken" value="${t}">`;
      document.body.append(form);
      form.submit();
    }, token, `/letters/${letter.id}`);
    await page.waitForNavigation();
    const links = await page.$$eval('.govuk-error-summary__list a', (as) => as.map((a) => [a.textContent!.trim(), a.getAttribute('href')]));
    expect(links).toEqual([['Add at least one finding before submitting the letter', '#findings']]);
    expect(await text(page, 'main .govuk-tag')).toBe('Draft');
    await expectAccessible(page);
  });

  it('shows a reader the archive only, and signs them out', async () => {
    const reader = await openPage(browser);
    try {
      const { page } = reader;
      await signIn(page, stack.url, 'reader', 'Rita Records');
      expect(await page.$('a[href="/letters/new"]')).toBeNull();
      // Readers see the archive, not the stages a letter goes through on its way there: only
      // whether a letter was replaced by a correction or withdrawn.
      expect(await page.$$eval('#status option', (os) => os.map((o) => (o as HTMLOptionElement).value))).toEqual(['', 'superseded', 'withdrawn']);
      const found = await texts(page, '#found tbody tr td:first-child a');
      expect(found).toContain('9 March 2011 letter, Durham County Council');
      expect(found).not.toContain('9 March 2011 letter, Testshire County Council');
      expect(await page.$$('#found .govuk-tag')).toHaveLength(0);
      await expectAccessible(page);

      const draft = (await stack.deps.letters.list({ limit: 50, status: 'draft' })).items[0]!;
      // A draft does not exist for a reader.
      const refused = await page.goto(`${stack.url}/letters/${draft.id}`);
      expect(refused!.status()).toBe(404);
      expect(await text(page, 'h1')).toBe('Page not found');
      expect((await page.goto(`${stack.url}/letters/new`))!.status()).toBe(403);
      await expectAccessible(page);

      await page.goto(`${stack.url}/letters`);
      await clickAndWait(page, 'a[href="/sign-out"]');
      expect(await text(page, 'h1')).toBe('Sign out');
      await clickAndWait(page, 'form[action="/sign-out"] button');
      expect(await text(page, 'h1')).toBe('You have signed out');
      await page.goto(`${stack.url}/letters`);
      expect(new URL(page.url()).pathname).toBe('/sign-in');
    } finally {
      await reader.close();
    }
  });
});

describe('without JavaScript', () => {
  it('signs in, adds a finding and submits with plain form posts', async () => {
    const letter = await (await stack.as('inspector', 'Nell No-Script')).createLetter({ authority: { name: 'Plain Borough Council' }, findings: [] });
    const plain = await openPage(browser);
    try {
      const { page } = plain;
      await page.setJavaScriptEnabled(false);
      await signIn(page, stack.url, 'inspector', 'Nell No-Script');
      await page.goto(`${stack.url}/letters/${letter.id}`);
      await clickAndWait(page, 'a[href$="/findings/new?category=strength"]');
      await fill(page, 'text', 'Works without scripts.');
      await clickAndWait(page, 'form button.govuk-button:not([name])');
      expect(await text(page, '.govuk-notification-banner')).toContain('Finding added');
      await clickAndWait(page, 'a[href$="/check"]');
      await clickAndWait(page, 'form[action$="/submit"] button');
      expect(await text(page, 'main .govuk-tag')).toBe('Submitted');
      expect(await page.evaluate(() => document.body.className)).not.toContain('js-enabled');
    } finally {
      await plain.close();
    }
  });
});

describe('the pages’ HTTP surface', () => {
  it('serves govuk-frontend’s assets with their types and long cache lifetimes', async () => {
    for (const [path, type] of [
      ['/assets/govuk-frontend.min.css', 'text/css; charset=utf-8'],
      ['/assets/govuk-frontend.min.js', 'text/javascript; charset=utf-8'],
      ['/assets/favicon.svg', 'image/svg+xml'],
    ]) {
      const response = await fetch(`${stack.url}${path}`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toBe(type);
      expect(response.headers.get('cache-control')).toMatch(/^public, max-age=\d{6,}/);
      const etag = response.headers.get('etag')!;
      expect((await fetch(`${stack.url}${path}`, { headers: { 'If-None-Match': etag } })).status).toBe(304);
    }
    // A service off GOV.UK uses neither its typeface nor its crown.
    for (const path of ['/assets/fonts/bold-b542beb274-v2.woff2', '/assets/images/favicon.svg', '/assets/images/govuk-icon-180.png']) {
      expect({ path, status: (await fetch(`${stack.url}${path}`)).status }).toEqual({ path, status: 404 });
    }
    const css = await (await fetch(`${stack.url}/assets/govuk-frontend.min.css`)).text();
    expect(css).not.toMatch(/GDS Transport|@font-face/);
    expect(css).toContain(`govuk-frontend ${createRequire(import.meta.url)('govuk-frontend/package.json').version},`);
    expect((await fetch(`${stack.url}/assets/../package.json`)).status).toBe(404);
    expect((await fetch(`${stack.url}/assets/%2e%2e%2fpackage.json`)).status).toBe(404);
  });

  it('shows the inspectorate’s own name, with no GOV.UK crown, logotype or typeface', async () => {
    const reader = await openPage(browser);
    try {
      const { page } = reader;
      await signIn(page, stack.url, 'reader', 'Rita Records');
      expect(await page.title()).toBe('Letters – Inspection letters – Ofsted');
      expect(await text(page, '.govuk-generic-header')).toBe('Ofsted');
      expect(await text(page, '.govuk-service-navigation__service-name')).toBe('Inspection letters');
      expect(await page.$$('.govuk-header, .govuk-header__logotype, .govuk-footer__crown, .govuk-footer__copyright-logo, .govuk-logo-dot')).toHaveLength(0);
      expect(await page.content()).not.toContain('GOV.UK');
      const fonts = await page.evaluate(() => ({
        text: ['.govuk-generic-header', 'h1', '.govuk-label', '.govuk-button', '.govuk-footer'].map((s) => getComputedStyle(document.querySelector(s)!).fontFamily),
        loaded: performance.getEntriesByType('resource').map((r) => r.name).filter((n) => /\.woff2?$/.test(n)),
      }));
      expect(fonts).toEqual({ text: Array(5).fill('arial, sans-serif'), loaded: [] });
    } finally {
      await reader.close();
    }
  });

  it('sends security headers with every page', async () => {
    const response = await fetch(`${stack.url}/sign-in`);
    const csp = response.headers.get('content-security-policy')!;
    expect(csp).toContain("default-src 'self'");
    expect(csp).toContain("frame-ancestors 'none'");
    expect(csp).toMatch(/script-src 'self' 'nonce-[\w+/=]+'/);
    expect(csp).not.toContain('unsafe-inline');
    expect(response.headers.get('x-frame-options')).toBe('DENY');
    expect(response.headers.get('x-content-type-options')).toBe('nosniff');
    expect(response.headers.get('cache-control')).toBe('no-store');
    const nonce = /'nonce-([^']+)'/.exec(csp)![1];
    expect(await response.text()).toContain(`<script nonce="${nonce}">`);
  });

  it('sends a person without a session to sign in, and back where they were going', async () => {
    const response = await fetch(`${stack.url}/letters/01ARZ3NDEKTSV4RRFFQ69G5FAV/edit`, { redirect: 'manual' });
    expect(response.status).toBe(303);
    expect(response.headers.get('location')).toBe('/sign-in?next=%2Fletters%2F01ARZ3NDEKTSV4RRFFQ69G5FAV%2Fedit');
    const offsite = await fetch(`${stack.url}/sign-in?next=//evil.example/`);
    expect(await offsite.text()).toContain('name="next" value="/letters"');
  });

  it('leaves the JSON API as it was', async () => {
    const api = await stack.as('reader');
    const response = await api.get('/api/nothing-here');
    expect(response.status).toBe(404);
    expect(response.headers.get('content-type')).toBe('application/problem+json');
    expect((await fetch(`${stack.url}/api/letters`)).status).toBe(401);
  });

  it('signs in through the Cognito hosted UI with PKCE when configured for it', async () => {
    const idToken = await stack.issuer.issue('manager', 'Cora Cognito');
    const calls: { url: string; body: URLSearchParams }[] = [];
    const app = createApp({
      ...stack.deps,
      config: { ...stack.deps.config, SIGN_IN_MODE: 'cognito', COGNITO_HOSTED_UI_URL: 'https://letters.auth.example', COGNITO_CLIENT_ID: 'client-1' },
      fetch: (async (url: URL, init: RequestInit) => {
        calls.push({ url: String(url), body: new URLSearchParams(String(init.body)) });
        return Response.json({ id_token: idToken, access_token: 'a', refresh_token: 'r3fresh', token_type: 'Bearer', expires_in: 3600 });
      }) as unknown as typeof fetch,
    });

    const start = await app.request('https://letters.example/sign-in?next=/letters/01ARZ3NDEKTSV4RRFFQ69G5FAV');
    expect(start.status).toBe(302);
    const authorize = new URL(start.headers.get('location')!);
    expect(authorize.origin + authorize.pathname).toBe('https://letters.auth.example/oauth2/authorize');
    expect(Object.fromEntries(authorize.searchParams)).toMatchObject({
      response_type: 'code',
      client_id: 'client-1',
      redirect_uri: 'https://letters.example/auth/callback',
      code_challenge_method: 'S256',
    });
    const flowCookie = start.headers.get('set-cookie')!;
    expect(flowCookie).toMatch(/HttpOnly/);
    expect(flowCookie).toMatch(/Secure/);

    const cookie = flowCookie.split(';')[0];
    const forged = await app.request(`https://letters.example/auth/callback?code=c0de&state=not-the-state`, { headers: { Cookie: cookie } });
    expect(forged.status).toBe(400);

    const callback = await app.request(`https://letters.example/auth/callback?code=c0de&state=${authorize.searchParams.get('state')}`, {
      headers: { Cookie: cookie },
    });
    expect(callback.status).toBe(303);
    expect(callback.headers.get('location')).toBe('/letters/01ARZ3NDEKTSV4RRFFQ69G5FAV');
    const session = callback.headers.getSetCookie().find((c) => c.startsWith('__Host-letters_session='))!;
    expect(session).toMatch(/HttpOnly/);
    expect(session).toMatch(/Secure/);
    expect(session).toMatch(/SameSite=Lax/);
    expect(session).toMatch(/Path=\//);
    const exchange = calls.find((call) => call.url === 'https://letters.auth.example/oauth2/token');
    expect(exchange!.body.get('code')).toBe('c0de');
    const { createHash } = await import('node:crypto');
    expect(createHash('sha256').update(exchange!.body.get('code_verifier')!).digest('base64url')).toBe(authorize.searchParams.get('code_challenge'));

    // The refresh token is kept only for "Stay signed in": sent to that one path, never to a page.
    const refresh = callback.headers.getSetCookie().find((c) => c.startsWith('letters_refresh='))!;
    expect(refresh).toMatch(/HttpOnly/);
    expect(refresh).toMatch(/Secure/);
    expect(refresh).toMatch(/Path=\/letters\/session(;|$)/);
    expect(calls.some((call) => call.url.endsWith('/oauth2/revoke'))).toBe(false);

    const sessionCookie = session.split(';')[0];
    const list = await app.request('https://letters.example/letters', { headers: { Cookie: sessionCookie } });
    expect(list.status).toBe(200);
    const listPage = await list.text();
    expect(listPage).toContain('Cora Cognito (manager)');

    // Stay signed in: the refresh token buys a new ID token, without leaving the page.
    const pageToken = /name="csrfToken" value="([^"]+)"/.exec(listPage)![1]!;
    const stay = await app.request('https://letters.example/letters/session', {
      method: 'POST',
      body: `csrfToken=${encodeURIComponent(pageToken)}`,
      headers: {
        Cookie: `${sessionCookie}; ${refresh.split(';')[0]}`,
        Origin: 'https://letters.example',
        Accept: 'application/json',
        'Content-Type': 'application/x-www-form-urlencoded',
      },
    });
    expect(stay.status).toBe(200);
    expect(await stay.json()).toMatchObject({ extended: true });
    expect(calls.at(-1)!.body.get('grant_type')).toBe('refresh_token');
    expect(calls.at(-1)!.body.get('refresh_token')).toBe('r3fresh');

    // Signing out: a GET only shows the form; a post without the session's CSRF token is refused.
    const signOutPage = await app.request('https://letters.example/sign-out', { headers: { Cookie: sessionCookie } });
    expect(signOutPage.status).toBe(200);
    expect(signOutPage.headers.getSetCookie()).toEqual([]);
    const csrfToken = /name="csrfToken" value="([^"]+)"/.exec(await signOutPage.text())![1]!;
    const postSignOut = (body: string) =>
      app.request('https://letters.example/sign-out', {
        method: 'POST',
        body,
        headers: { Cookie: sessionCookie, Origin: 'https://letters.example', 'Content-Type': 'application/x-www-form-urlencoded' },
      });
    const forgedSignOut = await postSignOut('csrfToken=guess');
    expect(forgedSignOut.status).toBe(403);
    expect(forgedSignOut.headers.getSetCookie()).toEqual([]);
    expect((await app.request('https://letters.example/letters', { headers: { Cookie: sessionCookie } })).status).toBe(200);
    const signedOut = await app.request('https://letters.example/sign-out', {
      method: 'POST',
      body: `csrfToken=${encodeURIComponent(csrfToken)}`,
      headers: { Cookie: `${sessionCookie}; ${refresh.split(';')[0]}`, Origin: 'https://letters.example', 'Content-Type': 'application/x-www-form-urlencoded' },
    });
    expect(signedOut.status).toBe(303);
    // Signing out revokes the refresh token: it outlives no session.
    const revoke = calls.find((call) => call.url === 'https://letters.auth.example/oauth2/revoke');
    expect(Object.fromEntries(revoke!.body)).toEqual({ token: 'r3fresh', client_id: 'client-1' });
    const logout = new URL(signedOut.headers.get('location')!);
    expect(logout.origin + logout.pathname).toBe('https://letters.auth.example/logout');
    expect(logout.searchParams.get('logout_uri')).toBe('https://letters.example/signed-out');
    expect(signedOut.headers.getSetCookie().find((c) => c.startsWith('__Host-letters_session='))).toMatch(/Max-Age=0/);
  });

  it('shows a fixed message when the hosted UI returns an error, never text from the address', async () => {
    const app = createApp({
      ...stack.deps,
      config: { ...stack.deps.config, SIGN_IN_MODE: 'cognito', COGNITO_HOSTED_UI_URL: 'https://letters.auth.example', COGNITO_CLIENT_ID: 'client-1' },
    });
    const planted = 'Your account is locked. Call 0800 000 000 to unlock it';
    const reply = await app.request(`https://letters.example/auth/callback?error=${encodeURIComponent(planted)}&error_description=${encodeURIComponent(planted)}`);
    expect(reply.status).toBe(400);
    const page = await reply.text();
    expect(page).toContain('The sign-in service did not sign you in.');
    expect(page).not.toContain('0800');
  });
});
