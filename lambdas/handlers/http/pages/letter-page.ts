import { type Actor, type DeliveryState, type Letter, type LetterStatus, orderedFindings } from '../../../core/letter';
import { isArchived } from '../../../core/transitions';
import { FINDING_CATEGORIES, RECIPIENT_ROLES } from '../../../core/letter-schema';
import { can } from '../../../core/roles';
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

const RECIPIENT_LABELS = { director: 'Director of children’s services', chiefExecutive: 'Chief executive', dfe: 'Department for Education' };

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
  distributed: 'Sent to every recipient',
  read: 'Read the letter',
  'pdf-retrieved': 'Opened the PDF',
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
  };
}

/** What the letter page shows, and which actions it offers this person. */
export function letterPageView(letter: Letter, actor: Actor) {
  const draft = letter.status === 'draft';
  const submitted = letter.status === 'submitted';
  const findings = orderedFindings(letter.findings);
  const deliveries = RECIPIENT_ROLES.flatMap((role) => {
    const d = letter.deliveries?.[role];
    return d
      ? [{ role, label: RECIPIENT_LABELS[role], email: d.email, state: DELIVERY_TAGS[d.state], messageId: d.messageId, lastError: d.lastError, updatedAt: dateTime(d.updatedAt) }]
      : [];
  });
  const unfinished = letter.status === 'approved' || deliveries.some((d) => d.state.text === 'Pending' || d.state.text === 'Sending');
  return {
    status: statusTag(letter.status),
    letterDate: longDate(letter.facts.letterDate),
    canEdit: draft && can(actor.role, 'edit'),
    canSubmit: draft && can(actor.role, 'submit'),
    canPreview: (draft || submitted) && can(actor.role, 'preview'),
    canReview: submitted && can(actor.role, 'approve'),
    canRedistribute: can(actor.role, 'redistribute') && deliveries.some((d) => d.state.text === 'Failed'),
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
    approval: letter.approval ? { byName: letter.approval.byName, at: dateTime(letter.approval.at), version: letter.approval.version } : undefined,
    deliveries,
    history: [...letter.history]
      .map((h) => ({ ...h, when: dateTime(h.at), what: HISTORY_ACTIONS[h.action] ?? h.action }))
      .reverse(),
  };
}
