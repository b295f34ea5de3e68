import { type Actor, type DeliveryState, hasDeliveryProblem, type HistoryEntry, type Letter, type LetterStatus, orderedFindings } from '../../../core/letter';
import { FIXABLE_STATES, isArchived, rolesToResend } from '../../../core/transitions';
import { FINDING_CATEGORIES, RECIPIENT_ROLES } from '../../../core/letter-schema';
import { can } from '../../../core/roles';
import { refusal } from '../../../core/transitions';
import { CATEGORY_LABELS } from './finding-form';
import { dateTime, longDate } from './views';

export interface Tag {
  text: string;
  classes: string;
}

const STATUS_TAGS: Record<LetterStatus, Tag> = {
  draft: { text: 'Draft', classes: 'govuk-tag--grey' },
  submitted: { text: 'Submitted', classes: 'govuk-tag--blue' },
  approved: { text: 'Approved', classes: 'govuk-tag--turquoise' },
  rendered: { text: 'Rendered', classes: 'govuk-tag--purple' },
  distributed: { text: 'Distributed', classes: 'govuk-tag--green' },
  superseded: { text: 'Superseded', classes: 'govuk-tag--grey' },
  withdrawn: { text: 'Withdrawn', classes: 'govuk-tag--red' },
};

const DELIVERY_TAGS: Record<DeliveryState, Tag> = {
  pending: { text: 'Pending', classes: 'govuk-tag--grey' },
  sending: { text: 'Sending', classes: 'govuk-tag--light-blue' },
  sent: { text: 'Sent', classes: 'govuk-tag--blue' },
  delivered: { text: 'Delivered', classes: 'govuk-tag--green' },
  bounced: { text: 'Bounced', classes: 'govuk-tag--red' },
  complained: { text: 'Complained', classes: 'govuk-tag--orange' },
  failed: { text: 'Failed', classes: 'govuk-tag--red' },
};

export const statusTag = (status: LetterStatus): Tag => STATUS_TAGS[status];

export const RECIPIENT_LABELS = { director: 'Director of children’s services', chiefExecutive: 'Chief executive', dfe: 'Department for Education' };

const HISTORY_ACTIONS: Record<string, string> = {
  created: 'Created the draft',
  edited: 'Changed the details',
  'finding-added': 'Added a finding',
  'finding-edited': 'Changed a finding',
  'finding-removed': 'Removed a finding',
  submitted: 'Submitted for approval',
  returned: 'Returned to the inspectors',
  approved: 'Approved',
  rendered: 'Made the PDF',
  'delivery-sent': 'Sent an email',
  'delivery-failed': 'Could not send an email',
  'delivery-deferred': 'Will try an email again',
  'delivery-event': 'Heard back about an email',
  redistributed: 'Asked to send again',
  'delivery-delivered': 'Heard an email was delivered',
  'delivery-bounced': 'Heard an email bounced',
  'delivery-complained': 'Heard a recipient complained about an email',
  'address-fixed': 'Changed where a copy goes',
  corrected: 'Started a correction',
  superseded: 'Replaced by a correction',
  withdrawn: 'Withdrew the letter',
  'notice-sent': 'Sent a withdrawal notice',
  'notice-failed': 'Could not send a withdrawal notice',
  'notice-deferred': 'Will try a withdrawal notice again',
  'notice-delivered': 'Heard a withdrawal notice was delivered',
  'notice-bounced': 'Heard a withdrawal notice bounced',
  'notice-complained': 'Heard a recipient complained about a withdrawal notice',
  distributed: 'Sent to every recipient',
};

/** One event as the pages show it. */
export const historyRow = (h: HistoryEntry) => ({ ...h, when: dateTime(h.at), what: HISTORY_ACTIONS[h.action] ?? h.action });

const ADDRESS_LABELS: Record<string, string> = {
  'recipients.director.honorific': 'Director’s title',
  'recipients.director.name': 'Director’s name',
  'recipients.director.jobTitle': 'Director’s job title',
  'recipients.director.organisation': 'Director’s organisation',
  'recipients.director.address': 'Director’s postal address',
  'recipients.director.email': 'Director’s email address',
  'recipients.chiefExecutive.name': 'Chief executive’s name',
  'recipients.chiefExecutive.jobTitle': 'Chief executive’s job title',
  'recipients.chiefExecutive.organisation': 'Chief executive’s organisation',
  'recipients.chiefExecutive.email': 'Chief executive’s email address',
};

/** One row of the list of letters. */
export function listRowView(letter: Letter) {
  return {
    id: letter.id,
    authority: letter.facts.authority.name,
    letterDate: longDate(letter.facts.letterDate),
    inspector: letter.facts.inspector.name,
    findings: letter.findings.length,
    updatedAt: dateTime(letter.updatedAt),
    status: statusTag(letter.status),
    deliveryProblem: hasDeliveryProblem(letter),
  };
}

/** What the letter page shows, and which actions it offers this person. */
export function letterPageView(letter: Letter, actor: Actor) {
  const draft = letter.status === 'draft';
  const submitted = letter.status === 'submitted';
  const findings = orderedFindings(letter.findings);
  const deliveries = RECIPIENT_ROLES.flatMap((role) => {
    const d = letter.deliveries?.[role];
    if (!d) return [];
    const fix = d.addressFix;
    return [
      {
        role,
        label: RECIPIENT_LABELS[role],
        email: d.email,
        state: DELIVERY_TAGS[d.state],
        messageId: d.messageId,
        lastError: d.lastError,
        updatedAt: dateTime(d.updatedAt),
        // A fix waiting to be sent: the copy still reads as it went, the new address beside it.
        fix: fix && fix.email !== d.email ? { email: fix.email, reason: fix.reason, byName: fix.byName, at: dateTime(fix.at) } : undefined,
        canFix: role !== 'dfe' && FIXABLE_STATES.includes(d.state) && can(actor.role, 'fixAddress') && ['rendered', 'distributed'].includes(letter.status),
      },
    ];
  });
  const unfinished = letter.status === 'approved' || deliveries.some((d) => d.state.text === 'Pending' || d.state.text === 'Sending');
  // What the table of actions would answer this person, so the page offers only what they may do.
  const council = letter.council ? { name: letter.facts.authority.name, changes: letter.council.changes } : undefined;
  const refused = (action: 'edit' | 'submit' | 'approve') => refusal(letter, action, { actor, council });
  const mayEdit = draft && can(actor.role, 'edit') && refused('edit') === undefined;
  return {
    status: statusTag(letter.status),
    letterDate: longDate(letter.facts.letterDate),
    canEdit: mayEdit,
    canSubmit: mayEdit && can(actor.role, 'submit'),
    /** Why this manager may not approve (four eyes), shown in place of the Approve button. */
    approveRefusal: submitted && can(actor.role, 'approve') ? refused('approve') : undefined,
    /** Every field in which the recipients differ from the council directory, and the reason given. */
    addressDifferences: (letter.addressDifferences ?? []).map((d) => ({ ...d, label: ADDRESS_LABELS[d.field] ?? d.field })),
    addressOverride: letter.recipientOverride
      ? { reason: letter.recipientOverride.reason, by: letter.recipientOverride.by.name, at: dateTime(letter.recipientOverride.at) }
      : undefined,
    councilEntry: letter.council
      ? {
          updatedAt: dateTime(letter.council.updatedAt),
          updatedBy: letter.council.updatedBy.name,
          byService: letter.council.updatedBy.sub.startsWith('system'),
          changedSinceCreated: letter.council.updatedAt > letter.createdAt,
        }
      : undefined,
    canPreview: (draft || submitted) && can(actor.role, 'preview'),
    canReview: submitted && can(actor.role, 'approve'),
    canRedistribute: can(actor.role, 'redistribute') && ['rendered', 'distributed'].includes(letter.status) && rolesToResend(letter).length > 0,
    deliveryProblem: hasDeliveryProblem(letter),
    canCorrect: letter.status === 'distributed' && can(actor.role, 'correct'),
    canWithdraw: letter.status === 'distributed' && can(actor.role, 'withdraw'),
    withdrawal: letter.withdrawal ? { reason: letter.withdrawal.reason, byName: letter.withdrawal.byName, at: dateTime(letter.withdrawal.at) } : undefined,
    notices: RECIPIENT_ROLES.flatMap((role) => {
      const n = letter.notices?.[role];
      return n ? [{ role, label: RECIPIENT_LABELS[role], email: n.email, state: DELIVERY_TAGS[n.state], lastError: n.lastError }] : [];
    }),
    supersedes: letter.supersedes ? { id: letter.supersedes.id, letterDate: longDate(letter.supersedes.letterDate) } : undefined,
    archived: isArchived(letter.status),
    /** Rendering or sending is still under way: the page offers to look again. */
    unfinished,
    findingCount: findings.length,
    groups: FINDING_CATEGORIES.map((category) => ({
      category,
      ...CATEGORY_LABELS[category],
      items: findings.filter((f) => f.category === category),
    })),
    pdf: letter.pdf ? { ...letter.pdf, kilobytes: Math.max(1, Math.round(letter.pdf.bytes / 1024)), renderedAt: dateTime(letter.pdf.renderedAt) } : undefined,
    approval: letter.approval ? { byName: letter.approval.by.name, at: dateTime(letter.approval.at), version: letter.approval.version } : undefined,
    deliveries,
    // Readers see the archived letter, not its record; staff see the latest events, managers the access log too.
    history: actor.role === 'reader' ? undefined : letter.history.map(historyRow),
    olderHistory: actor.role !== 'reader' && letter.historyNext ? `/letters/${letter.id}/history?cursor=${encodeURIComponent(letter.historyNext)}` : undefined,
    canSeeAccessLog: can(actor.role, 'accessLog'),
  };
}
