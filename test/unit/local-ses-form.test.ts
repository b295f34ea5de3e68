import { describe, expect, it } from '@jest/globals';
import { formWithout } from '../../lambdas/local/local-mailbox';

/**
 * The local SES reads a SendRawEmail's small fields (tags, destinations, configuration set)
 * without decoding the message itself again: what it reads must be what a full parse reads.
 */
const message = Buffer.from('From: a@example.com\r\nSubject: Café + letter\r\n\r\nbody ==\r\n').toString('base64');
const pairs: [string, string][] = [
  ['Action', 'SendRawEmail'],
  ['Version', '2010-12-01'],
  ['RawMessage.Data', message],
  ['Destinations.member.1', 'Chief Executive <ce+letters@council.example.gov.uk>'],
  ['Source', 'Ofsted <letters@example.gov.uk>'],
  ['ConfigurationSetName', 'letters'],
  ['Tags.member.1.Name', 'letter-id'],
  ['Tags.member.1.Value', '01JABCDEF'],
  ['Tags.member.2.Name', 'note'],
  ['Tags.member.2.Value', 'a&b=c é'],
];
const encode = (list: [string, string][]) => list.map(([k, v]) => `${encodeURIComponent(k)}=${encodeURIComponent(v)}`).join('&');

describe('the local SES reading a SendRawEmail form', () => {
  it.each([
    ['in the middle', pairs],
    ['first', [pairs[2], ...pairs.filter((_, i) => i !== 2)]],
    ['last', [...pairs.filter((_, i) => i !== 2), pairs[2]]],
    ['alone', [pairs[2]]],
  ])('reads every other field as a full parse does, the message %s', (_where, list) => {
    const body = Buffer.from(encode(list));
    const full = new URLSearchParams(body.toString());
    const { fields, omitted } = formWithout(body, 'RawMessage.Data');
    full.delete('RawMessage.Data');
    expect([...fields]).toEqual([...full]);
    expect(omitted()).toBe(message);
  });

  it('does not take a field whose name only ends like the one left out', () => {
    const body = Buffer.from(encode([['XRawMessage.Data', 'x'], ...pairs]));
    const { fields, omitted } = formWithout(body, 'RawMessage.Data');
    expect(fields.get('XRawMessage.Data')).toBe('x');
    expect(fields.has('RawMessage.Data')).toBe(false);
    expect(omitted()).toBe(message);
  });

  it('reads a form without the field as a full parse does', () => {
    const body = Buffer.from(encode(pairs.filter(([k]) => k !== 'RawMessage.Data')));
    const { fields, omitted } = formWithout(body, 'RawMessage.Data');
    expect([...fields]).toEqual([...new URLSearchParams(body.toString())]);
    expect(omitted()).toBe('');
  });
});
