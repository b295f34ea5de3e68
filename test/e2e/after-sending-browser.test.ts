import type { Browser, Page } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals';
import { axeViolations, clickAndWait, fill, launchBrowser, openPage, signIn, type TestPage, text, texts } from '../support/browser';
import { messagesTo } from '../support/outbox';
import { approve, eventually, recipientsFor } from '../support/pipeline-helpers';
import { type ApiClient, startTestStack, submittedLetter, type TestStack } from '../support/stack';

/**
 * In a real browser: a manager finds a letter whose copy bounced, fixes the address, and another
 * manager sends it; an inspector corrects a distributed letter, which replaces it once sent; a
 * manager withdraws a letter. Every page on the way passes axe.
 */

let stack: TestStack;
let browser: Browser;
let mary: TestPage;
let mark: TestPage;
let simon: TestPage;
let api: { inspector: ApiClient; manager: ApiClient };

beforeAll(async () => {
  stack = await startTestStack({ mailEventDelayMs: 200 });
  api = { inspector: await stack.as('inspector', 'Simon Rushall'), manager: await stack.as('manager', 'Mary Manager') };
  browser = await launchBrowser();
  [mary, mark, simon] = await Promise.all([openPage(browser), openPage(browser), openPage(browser)]);
  await signIn(mary.page, stack.url, 'manager', 'Mary Manager');
  await signIn(mark.page, stack.url, 'manager', 'Mark Manager');
  await signIn(simon.page, stack.url, 'inspector', 'Simon Rushall');
}, 60_000);

afterAll(async () => {
  await browser?.close();
  await stack?.destroy();
});

async function expectAccessible(page: Page) {
  expect(await axeViolations(page)).toEqual([]);
}

const read = async (id: string) => (await api.manager.get(`/api/letters/${id}`)).body;

describe('a copy that bounced', () => {
  const recipients = recipientsFor('browser bounce');
  recipients.director.email = 'bounce@simulator.amazonses.com';
  const fixed = 'director.fixed@durham.example';
  let id: string;

  beforeAll(async () => {
    const letter = await submittedLetter(api.inspector, { recipients, authority: { name: 'Browser Bounce Council' } });
    id = letter.id;
    await approve(api.manager, letter);
    await eventually(async () => ((await read(id)).deliveries.director?.state === 'bounced' ? true : undefined), 'the director’s copy to bounce');
  });

  it('is flagged in the list, found by its delivery problem, and on the letter page', async () => {
    const { page } = mary;
    await page.goto(`${stack.url}/letters`);
    await page.click('input[name="delivery"][value="problem"]');
    await clickAndWait(page, 'form[role="search"] button');
    expect(page.url()).toContain('delivery=problem');
    const rows = await texts(page, 'tbody tr');
    expect(rows.find((r) => r.includes('Browser Bounce Council'))).toContain('Delivery problem');
    await expectAccessible(page);

    await page.goto(`${stack.url}/letters/${id}`);
    expect(await text(page, '.govuk-warning-text')).toContain('A copy of this letter did not reach its recipient');
    expect(await text(page, '#deliveries')).toContain('Bounced');
    await expectAccessible(page);
  });

  it('lets a manager fix the address, with errors the GOV.UK way, and not send it herself', async () => {
    const { page } = mary;
    await clickAndWait(page, `a[href="/letters/${id}/deliveries/director"]`);
    expect(await text(page, 'h1')).toBe('Change the director of children’s services’s email address');
    await expectAccessible(page);

    await clickAndWait(page, 'form[action$="/deliveries/director"] button');
    expect(await texts(page, '.govuk-error-summary__list li')).toEqual(['Enter the new email address', 'Enter why the address is changing']);
    await expectAccessible(page);

    await fill(page, 'email', fixed);
    await fill(page, 'reason', 'The council gave us the director’s new address.');
    await clickAndWait(page, 'form[action$="/deliveries/director"] button');
    expect(await text(page, '.govuk-notification-banner')).toContain('Another manager must now send the letter to it');
    expect(await text(page, '#deliveries')).toContain(`New address ${fixed}, set by Mary Manager`);
    await expectAccessible(page);

    await clickAndWait(page, 'form[action$="/redistribute"] button');
    expect(await text(page, '.govuk-error-summary')).toContain('Another manager must redistribute it');
    expect((await read(id)).deliveries.director.state).toBe('bounced');
  });

  it('is sent to the new address, once, when another manager sends it again', async () => {
    const before = await stack.outbox();
    const { page } = mark;
    await page.goto(`${stack.url}/letters/${id}`);
    await clickAndWait(page, 'form[action$="/redistribute"] button');
    expect(await text(page, '.govuk-notification-banner')).toContain('being sent again');
    await eventually(async () => ((await read(id)).deliveries.director.state === 'delivered' ? true : undefined), 'the fixed copy to be delivered');
    const added = (await stack.outbox()).slice(before.length);
    expect(added.map((m) => m.to)).toEqual([[fixed]]);
    expect(messagesTo(await stack.outbox(), 'bounce@simulator.amazonses.com')).toHaveLength(1);

    await page.goto(`${stack.url}/letters/${id}`);
    expect(await page.$('.govuk-warning-text')).toBeNull();
    const history = await text(page, '#history');
    expect(history).toContain('Changed where a copy goes');
    expect(history).toContain('Mary Manager (manager)');
    expect(history).toContain('Mark Manager (manager)');
    await expectAccessible(page);
  });
});

describe('a correction and a withdrawal', () => {
  let original: string;
  let correction: string;

  beforeAll(async () => {
    const letter = await submittedLetter(api.inspector, { recipients: recipientsFor('browser correction'), authority: { name: 'Browser Correction Council' } });
    original = letter.id;
    await approve(api.manager, letter);
    await eventually(async () => ((await read(original)).status === 'distributed' ? true : undefined), 'the letter to be distributed');
  });

  it('lets an inspector start a correction from the letter page, and submit it', async () => {
    const { page } = simon;
    await page.goto(`${stack.url}/letters/${original}`);
    await expectAccessible(page);
    await clickAndWait(page, 'form[action$="/correction"] button');
    correction = new URL(page.url()).pathname.split('/')[2];
    expect(correction).not.toBe(original);
    expect(await text(page, '.govuk-notification-banner')).toContain('Correction started');
    expect(await text(page, '.govuk-inset-text')).toContain('This letter corrects the letter of 9 March 2011');
    expect(await text(page, 'main .govuk-tag')).toBe('Draft');
    await expectAccessible(page);
    // The original offers the open correction, not another one.
    await page.goto(`${stack.url}/letters/${original}`);
    expect(await page.$eval('#open-correction a', (a) => a.getAttribute('href'))).toBe(`/letters/${correction}`);
    expect(await page.$('form[action$="/correction"]')).toBeNull();
    await expectAccessible(page);
    await page.goto(`${stack.url}/letters/${correction}`);
    // Check and submit: the letter and its emails, then the button.
    await clickAndWait(page, 'a[href$="/check"]');
    await clickAndWait(page, 'form[action$="/submit"] button');
    expect(await text(page, '.govuk-notification-banner')).toContain('submitted for approval');
  });

  it('replaces the original once another manager approves it and it is sent', async () => {
    const { page } = mark;
    await page.goto(`${stack.url}/letters/${correction}`);
    await clickAndWait(page, 'form[action$="/approve"] button');
    await eventually(async () => ((await read(original)).status === 'superseded' ? true : undefined), 'the original to be superseded');

    await page.goto(`${stack.url}/letters/${original}`);
    expect(await text(page, 'main .govuk-tag')).toBe('Superseded');
    expect(await text(page, '.govuk-notification-banner')).toContain('This letter has been replaced by a correction');
    expect(await page.$eval('.govuk-notification-banner a', (a) => a.getAttribute('href'))).toBe(`/letters/${correction}`);
    await expectAccessible(page);
  });

  it('lets a manager withdraw the correction with a reason', async () => {
    const { page } = mary;
    await page.goto(`${stack.url}/letters/${correction}`);
    await clickAndWait(page, `a[href="/letters/${correction}/withdraw"]`);
    await expectAccessible(page);
    await clickAndWait(page, 'form[action$="/withdraw"] button');
    expect(await texts(page, '.govuk-error-summary__list li')).toEqual(['Enter why the letter is being withdrawn']);
    await expectAccessible(page);
    await fill(page, 'reason', 'Sent to the wrong council.');
    await clickAndWait(page, 'form[action$="/withdraw"] button');
    expect(await text(page, 'main .govuk-tag')).toBe('Withdrawn');
    expect(await text(page, 'main')).toContain('Sent to the wrong council.');
    await expectAccessible(page);
    await stack.queue.idle();
    const notices = (await stack.outbox()).filter((m) => m.tags['letter-id'] === correction && m.tags.copy === 'notice');
    expect(notices).toHaveLength(3);
    await page.goto(`${stack.url}/letters/${correction}`);
    expect(await texts(page, '#notices tbody tr')).toHaveLength(3);
    await expectAccessible(page);
  });
});
