import { coveringEmail } from '../../../core/covering-email';
import { type Actor, contentOf, type DeliveryState, hasDeliveryProblem, type HistoryEntry, type Letter, type LetterStatus, orderedFindings, refusedAtRender } from '../../../core/letter';
import { FINDING_CATEGORIES, LetterFacts, LIMITS, missingFacts, RECIPIENT_ROLES } from '../../../core/letter-schema';
import { FIXABLE_STATES, isArchived, rolesToResend } from '../../../core/transitions';
import { can } from '../../../core/roles';
import { refusal } from '../../../core/transitions';
import { CATEGORY_LABELS } from './finding-form';
import type { Flash } from './flash';
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
  'finding-moved': 'Moved a finding',
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
  'correction-abandoned': 'Could not start a correction',
  'correction-approved': 'A correction was approved: it replaces this letter once sent',
  'correction-unapproved': 'A correction is no longer approved',
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
/** One event in words: "Changed area for development 2", with the text before and after. */
export function historyRow(h: HistoryEntry) {
  const base = { ...h, when: dateTime(h.at), what: HISTORY_ACTIONS[h.action] ?? h.action };
  if (h.action === 'finding-edited' && h.change) {
    const which = `${CATEGORY_LABELS[h.change.category].one.toLowerCase()} ${h.change.number}`;
    return { ...base, what: `Changed ${which}`, detail: undefined, change: h.change };
  }
  if (h.action.startsWith('finding-')) {
    // Ids mean nothing to a person; several added at once are counted.
    const count = h.action === 'finding-added' ? (h.detail ?? '').split(', ').filter(Boolean).length : 1;
    return { ...base, what: count > 1 ? `Added ${count} findings` : base.what, detail: undefined };
  }
  return base;
}

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

/** A returned draft says so wherever its status shows: it is back with its inspectors for a reason. */
export function letterTag(letter: Pick<Letter, 'status' | 'returnComment'>): Tag {
  return letter.status === 'draft' && letter.returnComment ? { text: 'Returned', classes: 'govuk-tag--orange' } : statusTag(letter.status);
}

/** One row of the list of letters: the link names the letter itself, by its date and council. */
export function listRowView(letter: Letter, showStage = true) {
  const facts = letter.facts as Partial<Letter['facts']>;
  const council = facts.authority?.name ?? 'A council not yet named';
  const date = facts.letterDate ? longDate(facts.letterDate) : 'Undated';
  return {
    id: letter.id,
    linkText: `${date} letter, ${council}`,
    inspector: facts.inspector?.name,
    findings: letter.findings.length,
    updatedAt: dateTime(letter.updatedAt),
    status: showStage ? letterTag(letter) : undefined,
    deliveryProblem: hasDeliveryProblem(letter),
  };
}

type TaskStatus = { text: string; classes?: string } | { tag: Tag };

/** Where each part of a draft stands, for the task list: which fields it holds, and which are still missing. */
const TASKS: { id: string; title: string; hint?: string; section: string; paths: string[] }[] = [
  { id: 'inspection', title: 'Inspection details', hint: 'Council, dates, previous inspection, summary', section: 'inspection', paths: ['authority', 'inspection', 'letterDate', 'summary'] },
  { id: 'inspector', title: 'Lead inspector and contact details', section: 'inspector', paths: ['inspector', 'sender'] },
];

/** The task a missing fact belongs to, as a person names it: "the recipients". */
export function unfinishedPart(field: string): string {
  const top = field.split('.')[0]!;
  const task = TASKS.find((t) => t.paths.includes(top));
  return task ? `the ${task.title.charAt(0).toLowerCase()}${task.title.slice(1)}` : `the ${top}`;
}

function taskList(letter: Letter, missing: string[]) {
  const facts = letter.facts as Record<string, unknown>;
  const status = (paths: string[]): TaskStatus => {
    const gaps = missing.filter((m) => paths.some((p) => m === p || m.startsWith(`${p}.`)));
    if (gaps.length === 0) return { text: 'Completed' };
    const started = paths.some((p) => facts[p] !== undefined);
    return { tag: started ? { text: 'In progress', classes: 'govuk-tag--light-blue' } : { text: 'Not yet started', classes: 'govuk-tag--blue' } };
  };
  const items = TASKS.map((t) => ({
    title: { text: t.title },
    hint: t.hint ? { text: t.hint } : undefined,
    href: `/letters/${letter.id}/edit#section-${t.section}`,
    status: status(t.paths),
  }));
  // The recipients come from the council directory and configuration: nothing to fill in.
  items.push({
    title: { text: 'Recipients' },
    hint: { text: `From the council directory: ${letter.facts.recipients.director.name}, ${letter.facts.recipients.chiefExecutive.name} and the Department for Education` },
    href: '#recipients-source',
    status: { text: 'Completed' },
  });
  const findings = letter.findings.length;
  items.push({
    title: { text: 'Findings' },
    hint: { text: 'Strengths, areas that meet the requirements, areas for development' },
    href: '#findings',
    status: findings ? { text: `${findings} ${findings === 1 ? 'finding' : 'findings'}` } : { tag: { text: 'Not yet started', classes: 'govuk-tag--blue' } },
  });
  const ready = missing.length === 0 && findings > 0;
  items.push({
    title: { text: 'Check and submit' },
    hint: undefined,
    href: ready ? `/letters/${letter.id}/check` : (undefined as unknown as string),
    status: ready ? { tag: { text: 'Not yet started', classes: 'govuk-tag--blue' } } : { text: 'Cannot start yet', classes: 'govuk-task-list__status--cannot-start-yet' },
  });
  return { items, ready, completed: items.filter((i) => 'text' in i.status && i.status.text === 'Completed').length + (findings ? 1 : 0) };
}

/** The message a POST left for the page it redirected to. */
export function flashMessage(flash: Flash | undefined, letter: Letter): string | undefined {
  if (!flash) return undefined;
  const n = flash.count ?? 0;
  switch (flash.key) {
    case 'created': return 'Letter saved as a draft. Finish each part below, then check and submit it.';
    case 'saved': return 'The letter’s details have been saved.';
    case 'unchanged': return 'Nothing was changed.';
    case 'finding-added': return 'Finding added.';
    case 'findings-added': return `${n} ${n === 1 ? 'finding' : 'findings'} added.`;
    case 'finding-saved': return 'Finding saved.';
    case 'finding-removed': return 'Finding removed.';
    case 'finding-moved': return 'Finding moved.';
    case 'submitted': return 'Letter submitted for approval.';
    case 'returned': return 'Letter returned to its inspectors with your comment.';
    case 'approved': return 'Letter approved. It is being made into a PDF and sent to its 3 recipients.';
    case 'redistributed': return 'The letter is being sent again to the recipients it failed to reach.';
    case 'address-fixed': return 'The new address is saved. Another manager must now send the letter to it.';
    case 'correction': return 'Correction started: a new draft with the letter’s content. Change what is wrong, then submit it for approval. Once it is sent it replaces the original.';
    case 'withdrawn': return 'Letter withdrawn. Each recipient is being sent a notice.';
    case 'already-approved':
      return letter.approval
        ? `${letter.approval.by.name} approved this letter on ${dateTime(letter.approval.at)}. There is nothing more to approve.`
        : undefined;
    default: return undefined;
  }
}

/** The covering email as it will go to each recipient, for the pages that check a letter before it goes. */
export function outgoingEmails(letter: Letter, pages: number | undefined) {
  const missing = missingFacts(letter.facts);
  if (missing.some((m) => m.startsWith('recipients') || m.startsWith('authority') || m.startsWith('inspection') || m === 'letterDate' || m.startsWith('inspector'))) return [];
  const content = contentOf(letter);
  return RECIPIENT_ROLES.map((role) => {
    const email = coveringEmail(content, role, { pages: pages ?? 0, sha256: letter.pdf?.sha256 ?? '' });
    const recipient = content.recipients[role];
    return {
      role,
      label: RECIPIENT_LABELS[role],
      to: `${recipient.name} <${recipient.email}>`,
      subject: email.subject,
      // Without a page count the sentence that gives it is left out rather than guessed.
      text: pages ? email.text : email.text.replace(/\n\nThe attached PDF has 0 pages\./, ''),
      filename: email.filename,
    };
  });
}

/** What the letter page shows, and which actions it offers this person. */
export function letterPageView(letter: Letter, actor: Actor) {
  const draft = letter.status === 'draft';
  const submitted = letter.status === 'submitted';
  const findings = orderedFindings(letter.findings);
  const facts = letter.facts as Partial<Letter['facts']>;
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
        fix: fix && fix.email !== d.email ? { email: fix.email, reason: fix.reason, byName: fix.by.name, at: dateTime(fix.at) } : undefined,
        canFix: role !== 'dfe' && FIXABLE_STATES.includes(d.state) && can(actor.role, 'fixAddress') && ['rendered', 'distributed'].includes(letter.status),
      },
    ];
  });
  const unfinished = letter.status === 'approved' || deliveries.some((d) => d.state.text === 'Pending' || d.state.text === 'Sending');
  // What the table of actions would answer this person, so the page offers only what they may do.
  const councilOf = letter.council ? { name: facts.authority?.name ?? '', changes: letter.council.changes } : undefined;
  const refused = (action: 'edit' | 'submit' | 'approve') => refusal(letter, action, { actor, council: councilOf });
  const missing = missingFacts(letter.facts);
  // History is newest first.
  const last = letter.history[0];
  const returned = draft && letter.returnComment ? letter.history.find((h) => h.action === 'returned') : undefined;
  const mayEdit = draft && can(actor.role, 'edit') && refused('edit') === undefined;
  const refusedWhenPrinted = letter.status === 'approved' && refusedAtRender(letter);
  return {
    status: letterTag(letter),
    council: facts.authority?.name ?? 'A council not yet named',
    letterDate: facts.letterDate ? longDate(facts.letterDate) : 'no date yet',
    lastChange: { when: dateTime(letter.updatedAt), by: last?.role === 'system' ? 'the service' : last?.by.name },
    returned: returned ? { by: returned.by.name, when: dateTime(returned.at), comment: letter.returnComment } : undefined,
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
    /** Approved, then refused by the render stage for its length: nothing was sent; a manager can return it. */
    refusedAtRender: refusedWhenPrinted,
    maxPages: LIMITS.pages,
    canReturnRefused: refusedWhenPrinted && can(actor.role, 'return'),
    canRedistribute: can(actor.role, 'redistribute') && ['rendered', 'distributed'].includes(letter.status) && rolesToResend(letter).length > 0,
    deliveryProblem: hasDeliveryProblem(letter),
    canCorrect: letter.status === 'distributed' && !letter.correction && can(actor.role, 'correct'),
    /** One correction at a time: the open one is where a change goes. */
    openCorrection: letter.status === 'distributed' && letter.correction && can(actor.role, 'correct') ? letter.correction : undefined,
    canWithdraw: letter.status === 'distributed' && can(actor.role, 'withdraw'),
    withdrawal: letter.withdrawal ? { reason: letter.withdrawal.reason, byName: letter.withdrawal.by.name, at: dateTime(letter.withdrawal.at) } : undefined,
    notices: RECIPIENT_ROLES.flatMap((role) => {
      const n = letter.notices?.[role];
      return n ? [{ role, label: RECIPIENT_LABELS[role], email: n.email, state: DELIVERY_TAGS[n.state], lastError: n.lastError }] : [];
    }),
    supersedes: letter.supersedes ? { id: letter.supersedes.id, letterDate: longDate(letter.supersedes.letterDate) } : undefined,
    archived: isArchived(letter.status),
    tasks: mayEdit ? taskList(letter, missing) : undefined,
    /** Rendering or sending is still under way: the page offers to look again. */
    unfinished,
    findingCount: findings.length,
    groups: FINDING_CATEGORIES.map((category) => {
      const items = findings.filter((f) => f.category === category);
      return {
        category,
        ...CATEGORY_LABELS[category],
        items: items.map((f, i) => ({ ...f, number: i + 1, first: i === 0, last: i === items.length - 1 })),
      };
    }),
    pdf: letter.pdf ? { ...letter.pdf, kilobytes: Math.max(1, Math.round(letter.pdf.bytes / 1024)), renderedAt: dateTime(letter.pdf.renderedAt) } : undefined,
    approval: letter.approval ? { byName: letter.approval.by.name, at: dateTime(letter.approval.at), version: letter.approval.version } : undefined,
    deliveries,
    // Readers see the archived letter, not its record; staff see the latest events, managers the access log too.
    history: actor.role === 'reader' ? undefined : letter.history.map(historyRow),
    olderHistory: actor.role !== 'reader' && letter.historyNext ? `/letters/${letter.id}/history?cursor=${encodeURIComponent(letter.historyNext)}` : undefined,
    canSeeAccessLog: can(actor.role, 'accessLog'),
    canCheckRecord: can(actor.role, 'integrity'),
  };
}

