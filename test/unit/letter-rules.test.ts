import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { actorFromClaims } from '../../lambdas/adapters/auth/jwt-authenticator';
import { UlidGenerator } from '../../lambdas/adapters/ids';
import { archiveKeys } from '../../lambdas/core/archive-keys';
import { coveringEmail, letterFileName } from '../../lambdas/core/covering-email';
import { LetterInput } from '../../lambdas/core/letter-schema';
import { can } from '../../lambdas/core/roles';
import { parseSesEvent } from '../../lambdas/handlers/events/ses-event';

const example = () => JSON.parse(readFileSync(join(import.meta.dirname, '..', 'fixtures', 'durham-2011-03-09.json'), 'utf8'));

describe('the letter schema', () => {
  it('accepts the example letter', () => {
    expect(LetterInput.safeParse(example()).success).toBe(true);
  });

  it.each([
    ['inspection.endDate', (l: any) => (l.inspection.endDate = '2011-02-07')],
    ['letterDate', (l: any) => (l.letterDate = '2011-02-08')],
    ['inspection.previousInspection.month', (l: any) => (l.inspection.previousInspection.month = '2011-02')],
    ['letterDate', (l: any) => (l.letterDate = '2011-02-29')],
    ['recipients.chiefExecutive.email', (l: any) => (l.recipients.chiefExecutive.email = 'george@durham.example\nBcc: x@y.z')],
    ['summary', (l: any) => (l.summary = 'Hidden \u202Etext')],
    // 34 findings of 3,000 three-byte characters: 306,000 bytes of UTF-8, past the budget.
    ['findings', (l: any) => (l.findings = Array.from({ length: 34 }, () => ({ category: 'strength', text: '調'.repeat(3_000) })))],
  ])('names %s when it is wrong', (field, spoil) => {
    const letter = example();
    spoil(letter);
    const result = LetterInput.safeParse(letter);
    expect(result.success).toBe(false);
    expect(result.error!.issues.map((i) => i.path.join('.'))).toContain(field);
  });

  it('allows a letter dated the day the inspection ended, and no previous inspection', () => {
    const letter = example();
    letter.letterDate = letter.inspection.endDate;
    delete letter.inspection.previousInspection;
    expect(LetterInput.safeParse(letter).success).toBe(true);
  });
});

describe('archive keys and file names', () => {
  it('files a letter by council, year and id', () => {
    const keys = archiveKeys({ id: '01ABC', facts: { ...example(), authority: { name: 'Bath & North East Somerset Council' } } });
    expect(keys.pdf).toBe('letters/bath-north-east-somerset-council/2011/01ABC/letter.pdf');
    expect(keys.manifest).toBe('letters/bath-north-east-somerset-council/2011/01ABC/manifest.json');
  });

  it('keeps accents and slashes out of keys and file names', () => {
    const facts = { ...example(), authority: { name: 'Ynys Môn / ../Anglesey' } };
    expect(archiveKeys({ id: 'X', facts }).pdf).toBe('letters/ynys-mon-anglesey/2011/X/letter.pdf');
    expect(letterFileName(facts)).toBe('inspection-letter-ynys-mon-anglesey-2011-03-09.pdf');
  });
});

describe('the covering email', () => {
  it('names the council and the inspection, greets each recipient, and escapes HTML', () => {
    const letter = example();
    letter.authority.name = 'Durham <County> Council';
    const note = coveringEmail(letter, 'director', { pages: 2, sha256: 'ab'.repeat(32) });
    expect(note.text.startsWith('Dear Mr Williams')).toBe(true);
    expect(note.text).toContain('Durham <County> Council children');
    expect(note.text).toContain('from 8 February 2011 to 9 February 2011');
    expect(note.html).toContain('Durham &lt;County&gt; Council');
    expect(note.html).not.toContain('<County>');
    expect(coveringEmail(letter, 'dfe', { pages: 2, sha256: 'ab'.repeat(32) }).text.startsWith('Dear Andrew Spencer')).toBe(true);
  });
});

describe('ids', () => {
  it('sort by creation, even within one millisecond', () => {
    const clock = { now: () => new Date(1_700_000_000_000) };
    const ids = new UlidGenerator(clock);
    const made = Array.from({ length: 500 }, () => ids.next());
    expect([...made].sort()).toEqual(made);
    expect(new Set(made).size).toBe(500);
    expect(made[0]).toMatch(/^[0-9A-HJKMNP-TV-Z]{26}$/);
  });
});

describe('roles and claims', () => {
  it('reads groups as Cognito and API Gateway send them', () => {
    expect(actorFromClaims({ sub: 'u1', name: 'Ann', 'cognito:groups': ['inspector'] }).role).toBe('inspector');
    expect(actorFromClaims({ sub: 'u1', 'cognito:groups': '[reader manager]' }).role).toBe('manager');
    expect(() => actorFromClaims({ sub: 'u1', 'cognito:groups': '[visitors]' })).toThrow(/none of the roles/);
    expect(() => actorFromClaims({ 'cognito:groups': ['manager'] })).toThrow(/no subject/);
  });

  it('lets only managers approve and readers only read', () => {
    expect(can('manager', 'approve')).toBe(true);
    expect(can('inspector', 'approve')).toBe(false);
    expect(can('reader', 'read')).toBe(true);
    expect(can('reader', 'create')).toBe(false);
  });
});

describe('SES events', () => {
  it('maps deliveries, permanent bounces, complaints and rejects; ignores the rest', () => {
    const at = '2026-01-01T00:00:00.000Z';
    expect(parseSesEvent({ eventType: 'Delivery', mail: { messageId: 'm' } }, at)).toEqual({ messageId: 'm', state: 'delivered', at });
    expect(parseSesEvent({ notificationType: 'Bounce', mail: { messageId: 'm' }, bounce: { bounceType: 'Permanent' } }, at)?.state).toBe('bounced');
    expect(parseSesEvent({ eventType: 'Bounce', mail: { messageId: 'm' }, bounce: { bounceType: 'Transient' } }, at)).toBeUndefined();
    expect(parseSesEvent({ eventType: 'Complaint', mail: { messageId: 'm' } }, at)?.state).toBe('complained');
    expect(parseSesEvent({ eventType: 'Reject', mail: { messageId: 'm' }, reject: { reason: 'Bad content' } }, at)?.detail).toBe('Rejected: Bad content');
    expect(parseSesEvent({ eventType: 'Open', mail: { messageId: 'm' } }, at)).toBeUndefined();
    expect(parseSesEvent('nonsense', at)).toBeUndefined();
  });
});
