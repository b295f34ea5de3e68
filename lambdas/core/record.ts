import canonicalize from 'canonicalize';
import { createHash } from 'node:crypto';
import type { HistoryEntry } from './letter';

/**
 * The letter's record: every lifecycle and delivery event, numbered from 1 and chained. Event n
 * stores `hash = SHA-256(hash of event n-1 ‖ canonical JSON of event n)`, so changing, removing
 * or reordering any event changes every hash after it, up to the head kept on the letter and
 * the head archived with the PDF.
 */

export const sha256 = (data: string | Uint8Array) => createHash('sha256').update(data).digest('hex');

/** What comes before the first event. */
export const GENESIS = '0'.repeat(64);

/** A place in the chain: the number of the latest event and its hash. */
export interface ChainHead {
  seq: number;
  hash: string;
}

export const EMPTY_CHAIN: ChainHead = { seq: 0, hash: GENESIS };

/** An event as stored once chained. */
export interface SealedEvent {
  seq: number;
  event: HistoryEntry;
  prev: string;
  hash: string;
}

/** RFC 8785 (JSON Canonicalization Scheme): the same event always gives the same bytes. */
export function canonicalJson(value: unknown): string {
  const text = canonicalize(value);
  if (text === undefined) throw new TypeError('value has no JSON form');
  return text;
}

/** The event as hashed: its number belongs to it, so events cannot be reordered unseen. */
export function eventHash(prev: string, seq: number, event: HistoryEntry): string {
  return sha256(prev + canonicalJson({ ...withoutChain(event), seq }));
}

/** Display fields (`seq`, `hash`) are not part of what is hashed. */
export function withoutChain(event: HistoryEntry): HistoryEntry {
  const { seq: _seq, hash: _hash, ...rest } = event;
  return rest;
}

/** Chains events onto a head, in order. */
export function chainEvents(head: ChainHead, events: HistoryEntry[]): SealedEvent[] {
  const sealed: SealedEvent[] = [];
  let prev = head;
  for (const event of events) {
    const seq = prev.seq + 1;
    const clean = withoutChain(event);
    const hash = eventHash(prev.hash, seq, clean);
    sealed.push({ seq, event: clean, prev: prev.hash, hash });
    prev = { seq, hash };
  }
  return sealed;
}

/** Where a chain stands after `chained`, the events chained onto `head` by chainEvents. */
export function chainEnd(head: ChainHead, chained: SealedEvent[]): ChainHead {
  const last = chained.at(-1);
  return last ? { seq: last.seq, hash: last.hash } : head;
}

export interface IntegrityReport {
  valid: boolean;
  events: number;
  head: string;
  /** The number of the first event that does not hold, or null. */
  brokenAt: number | null;
}

/**
 * Recomputes the chain from the stored events, oldest first, and compares it with what is
 * stored: each event's number, its link to the one before, its own hash, and finally the head
 * the letter keeps and any head archived elsewhere (the manifest written at render).
 * Events not yet sealed (`unsealed`, from the letter item) continue the chain.
 */
export function verifyChain(
  stored: SealedEvent[],
  letterHead: ChainHead,
  unsealed: HistoryEntry[],
  anchors: ChainHead[] = [],
): IntegrityReport {
  let prev = EMPTY_CHAIN;
  const hashes = new Map<number, string>();
  // Where the record holds up to: the last event checked, or the end of the chain when all hold.
  const report = (brokenAt: number | null, end: ChainHead = prev): IntegrityReport => ({
    valid: brokenAt === null,
    events: end.seq,
    head: end.hash,
    brokenAt,
  });
  for (const item of stored) {
    const seq = prev.seq + 1;
    if (item.seq !== seq) return report(seq);
    if (item.prev !== prev.hash || eventHash(prev.hash, seq, item.event) !== item.hash) return report(seq);
    prev = { seq, hash: item.hash };
    hashes.set(seq, item.hash);
  }
  // The letter's head must be the last stored event: a missing tail of events shows here.
  if (letterHead.seq > prev.seq) return report(prev.seq + 1);
  if (letterHead.seq < prev.seq) return report(letterHead.seq + 1);
  if (letterHead.hash !== prev.hash) return report(prev.seq);
  // An anchor may fall among the events not yet sealed: they are chained on from the head, so
  // one changed there changes the hash the anchor holds.
  const chained = chainEvents(prev, unsealed);
  for (const event of chained) hashes.set(event.seq, event.hash);
  const end = chainEnd(prev, chained);
  for (const anchor of anchors) {
    if (anchor.seq > end.seq) return report(end.seq + 1);
    if (hashes.get(anchor.seq) !== anchor.hash) return report(anchor.seq);
  }
  return report(null, end);
}

/** A new letter's record: its first event, numbered and chained. */
export function firstRecord(created: HistoryEntry): { history: HistoryEntry[]; head: ChainHead } {
  const [first] = chainEvents(EMPTY_CHAIN, [created]);
  return { history: [{ ...created, seq: first.seq, hash: first.hash }], head: { seq: first.seq, hash: first.hash } };
}
