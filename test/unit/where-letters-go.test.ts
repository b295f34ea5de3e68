import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from '@jest/globals';
import { actorFromClaims } from '../../lambdas/adapters/auth/jwt-authenticator';
import { councilCode, councilNameKey, councilNameProblem, normaliseCouncilName } from '../../lambdas/core/council-name';
import { fourEyesRefusal } from '../../lambdas/core/four-eyes';
import type { Actor } from '../../lambdas/core/letter';
import { LetterBody } from '../../lambdas/core/letter-schema';
import { checkRecipients } from '../../lambdas/core/recipients';
import { localSubject } from '../../lambdas/local/local-issuer';

const example = () => JSON.parse(readFileSync(join(import.meta.dirname, '..', 'fixtures', 'durham-2011-03-09.json'), 'utf8'));

describe('council names', () => {
  it.each([
    ['a zero-width space', 'Durham\u200BCounty Council'],
    ['a soft hyphen', 'Dur\u00ADham County Council'],
    ['tag characters', 'Durham County Council\u{E0044}\u{E007F}'],
    ['a word joiner', 'Durham\u2060 County Council'],
    ['a Hangul filler', 'Durham \u3164County Council'],
    ['a braille blank', 'Durham\u2800County Council'],
    ['a variation selector', 'Durham\uFE0F County Council'],
    ['a Cyrillic a', 'Durh\u0430m County Council'],
    ['a Greek omicron', 'Durham C\u03BFunty Council'],
    ['no letters or digits', '— / —'],
  ])('refuses %s', (_what, name) => {
    expect(councilNameProblem(name)).toEqual(expect.any(String));
  });

  it('normalises width, case and spacing, keeping accents', () => {
    expect(normaliseCouncilName('Ｄｕｒｈａｍ\u00A0County\u2003 Council ')).toBe('Durham County Council');
    expect(councilNameKey('  durham   COUNTY council')).toBe(councilNameKey('Durham County Council'));
    expect(councilNameProblem('Ynys Môn County Council')).toBeUndefined();
    expect(councilNameProblem('Bath & North East Somerset Council')).toBeUndefined();
    expect(councilCode('Ynys Môn / Anglesey')).toBe('ynys-mon-anglesey');
    expect(councilCode('Ｄｕｒｈａｍ County Council')).toBe('durham-county-council');
  });

  it('is normalised by the letter schema, so the stored name is the plain one', () => {
    const parsed = LetterBody.parse({ ...example(), authority: { name: 'Ｄｕｒｈａｍ  County Council' } });
    expect(parsed.authority.name).toBe('Durham County Council');
    expect(LetterBody.safeParse({ ...example(), authority: { name: 'Durham\u200B County Council' } }).success).toBe(false);
  });
});

describe('recipients against the directory', () => {
  const { director, chiefExecutive, dfe } = example().recipients;
  const entry = { director, chiefExecutive };
  const inspector: Actor = { sub: 'i-1', name: 'Ivy', role: 'inspector' };
  const manager: Actor = { sub: 'm-1', name: 'Mo', role: 'manager' };
  const at = '2026-12-01T08:00:00.000Z';
  const check = (actor: Actor, given: any, current?: any) =>
    checkRecipients({ given, entry, dfe, actor, by: { sub: actor.sub, name: actor.name }, at, current });
  const fields = (f: () => unknown) => {
    try {
      f();
    } catch (error) {
      return (error as { fields: { field: string }[] }).fields.map((p) => p.field);
    }
    return [];
  };

  it('accepts recipients left out or repeated as the directory has them', () => {
    expect(check(inspector, undefined)).toBeUndefined();
    expect(check(inspector, { director, chiefExecutive, dfe })).toBeUndefined();
    expect(check(inspector, { dfe })).toBeUndefined();
  });

  it('refuses any DfE detail other than the configured one, whoever sends it', () => {
    expect(fields(() => check(manager, { dfe: { ...dfe, email: 'x@evil.example' }, reason: 'Because.' }))).toEqual(['recipients.dfe.email']);
    expect(fields(() => check(inspector, { dfe: { ...dfe, name: 'Someone Else' } }))).toEqual(['recipients.dfe.name']);
  });

  it("names every field of an inspector's recipients that differs from the directory", () => {
    const changed = { ...director, email: 'x@evil.example', address: ['Elsewhere'] };
    expect(fields(() => check(inspector, { director: changed }))).toEqual(['recipients.director.address', 'recipients.director.email']);
  });

  it("takes a manager's difference only with a reason, and keeps it when the letter is saved again", () => {
    const changed = { ...chiefExecutive, email: 'ce.office@durham.example' };
    expect(fields(() => check(manager, { chiefExecutive: changed }))).toEqual(['recipients.reason']);
    const override = check(manager, { chiefExecutive: changed, reason: 'Office address while on leave.' });
    expect(override).toEqual({ chiefExecutive: changed, reason: 'Office address while on leave.', by: { sub: 'm-1', name: 'Mo' }, at });
    // The inspector may repeat it, or put the directory's back, but not change it again.
    expect(check(inspector, { director, chiefExecutive: changed, dfe }, override)).toBe(override);
    expect(check(inspector, { chiefExecutive }, override)).toBeUndefined();
    expect(fields(() => check(inspector, { chiefExecutive: { ...changed, email: 'y@evil.example' } }, override))).toEqual([
      'recipients.chiefExecutive.email',
    ]);
  });
});

describe('four eyes', () => {
  const letter = {
    createdAt: '2026-12-01T09:00:00.000Z',
    createdBy: { sub: 'creator', name: 'Mary Manager' },
    contributors: ['creator', 'editor'],
  };
  const council = {
    name: 'Durham County Council',
    changes: [
      { at: '2026-11-01T09:00:00.000Z', by: { sub: 'early', name: 'Early' }, version: 1, fields: ['name'] },
      { at: '2026-12-01T10:00:00.000Z', by: { sub: 'redirector', name: 'Rita' }, version: 2, fields: ['director'] },
    ],
  };

  it('refuses the creator, any contributor and whoever changed the council entry since, by subject id', () => {
    expect(fourEyesRefusal(letter, { sub: 'creator' }, council)).toMatch(/You created this letter/);
    expect(fourEyesRefusal(letter, { sub: 'editor' }, council)).toMatch(/You changed this letter/);
    expect(fourEyesRefusal(letter, { sub: 'redirector' }, council)).toMatch(/council directory on 1 December 2026/);
    expect(fourEyesRefusal(letter, { sub: 'early' }, council)).toBeUndefined();
    expect(fourEyesRefusal(letter, { sub: 'someone-else' }, council)).toBeUndefined();
  });

  it('goes by subject id, so a look-alike display name changes nothing', () => {
    // Same name, another person: may approve. Same person, another name: may not.
    expect(fourEyesRefusal(letter, { sub: 'impostor', name: 'Mary Manager' } as { sub: string }, council)).toBeUndefined();
    expect(fourEyesRefusal(letter, { sub: 'creator', name: 'Someone Else' } as { sub: string }, council)).toMatch(/created/);
  });
});

describe('names taken from tokens', () => {
  it.each([
    ['a line break', 'Mary\r\nBcc: x@y.z'],
    ['a NUL', 'Mary\u0000Manager'],
    ['a right-to-left override', 'Mary \u202Eregana M'],
    ['a bidi isolate', 'Mary \u2066Manager\u2069'],
  ])('refuses %s', (_what, name) => {
    expect(() => actorFromClaims({ sub: 'u1', name, 'cognito:groups': ['manager'] })).toThrow(/name/);
  });

  it('refuses subject ids that are not plain printable text', () => {
    expect(() => actorFromClaims({ sub: 'u1\n', name: 'Ann', 'cognito:groups': ['manager'] })).toThrow(/subject/);
    expect(actorFromClaims({ sub: 'u1', name: '  Ann  Smith ', 'cognito:groups': ['manager'] }).name).toBe('Ann  Smith');
  });
});

describe('local subject ids', () => {
  it('come from the name alone, whatever the role, spacing or case', () => {
    expect(localSubject('Mary Manager')).toBe(localSubject('  mary   MANAGER '));
    expect(localSubject('Mary Manager')).not.toBe(localSubject('Mary Managers'));
    expect(localSubject('Mary Manager')).toMatch(/^local:[0-9a-f]{32}$/);
  });
});
