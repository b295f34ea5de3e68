import type { CopyKind } from '../../lambdas/core/ports';
import type { OutboxEntry } from '../../lambdas/local/local-mailbox';

/** An address to look for in the outbox; the DfE's is every letter's, so its messages are told apart by the council in their subject. */
export type Address = string | { email: string; council: string };

/** Which of an address's messages: those about one letter, or one kind of copy, by the tags every message carries. */
export interface About {
  letterId?: string;
  copy?: CopyKind;
}

/**
 * The messages in an outbox (the local stack's, or the local SES's in a smoke run) sent to one
 * address, in the order sent: about one council's letter if the address says which, and about
 * one letter or one kind of copy if asked.
 */
export function messagesTo(outbox: readonly OutboxEntry[], address: Address, about: About = {}): OutboxEntry[] {
  const { email, council } = typeof address === 'string' ? { email: address, council: undefined } : address;
  return outbox.filter(
    (m) =>
      m.to.some((to) => to.includes(email)) &&
      (council === undefined || m.subject.includes(`: ${council}, `)) &&
      (about.letterId === undefined || m.tags['letter-id'] === about.letterId) &&
      (about.copy === undefined || m.tags.copy === about.copy),
  );
}
