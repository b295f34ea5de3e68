import { RECIPIENT_ROLES, type RecipientRole } from '../../core/letter-schema';
import { COPY_KINDS, type CopyKind, type CopyTag } from '../../core/ports';

/**
 * The SES message tags that say which copy a message is. SES echoes a message's tags in every
 * event it publishes about it (`mail.tags`, each a list of values), so an event names its letter,
 * recipient and send without a lookup. Tag values allow letters, digits, `_` and `-`: ULIDs,
 * role names and UUIDs all fit.
 */
const NAMES = { letterId: 'letter-id', role: 'recipient', kind: 'copy', claim: 'claim' } as const;

export function copyTags(copy: CopyTag): { Name: string; Value: string }[] {
  return (Object.keys(NAMES) as (keyof CopyTag)[]).map((field) => ({ Name: NAMES[field], Value: copy[field] }));
}

const TAG_VALUE = /^[A-Za-z0-9_-]{1,256}$/;

/** The copy a published event's tags name, or undefined when they name none of ours. */
export function copyFromTags(tags: unknown): CopyTag | undefined {
  if (!tags || typeof tags !== 'object') return undefined;
  const value = (name: string) => {
    const values = (tags as Record<string, unknown>)[name];
    const first = Array.isArray(values) ? values[0] : undefined;
    return typeof first === 'string' && TAG_VALUE.test(first) ? first : undefined;
  };
  const [letterId, role, kind, claim] = [value(NAMES.letterId), value(NAMES.role), value(NAMES.kind), value(NAMES.claim)];
  if (!letterId || !claim || !RECIPIENT_ROLES.includes(role as RecipientRole) || !COPY_KINDS.includes(kind as CopyKind)) return undefined;
  return { letterId, role: role as RecipientRole, kind: kind as CopyKind, claim };
}
