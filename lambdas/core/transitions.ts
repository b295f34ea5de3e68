import type { CouncilEntry } from './council';
import { type AppError, ConflictError, ForbiddenError, PreconditionFailedError, ValidationError } from './errors';
import { fourEyesRefusal } from './four-eyes';
import { type Actor, contentOf, type Delivery, LETTER_STATUSES, type Letter, type LetterStatus, PROBLEM_STATES, refusedAtRender, type Role } from './letter';
import { LIMITS, missingFacts, RECIPIENT_ROLES, type RecipientRole } from './letter-schema';
import { estimatePages } from './page-estimate';

/** Rendered or later: the letter has its PDF in the archive (rendered, distributed, superseded, withdrawn). */
export const RENDERED_OR_LATER: readonly LetterStatus[] = LETTER_STATUSES.slice(LETTER_STATUSES.indexOf('rendered'));

/** Archived means rendered or later; a reader sees nothing else, not even that it exists. */
export const isArchived = (status: LetterStatus) => RENDERED_OR_LATER.includes(status);

/** Before approval: the content may still change, so it can be previewed. */
const BEFORE_APPROVAL: readonly LetterStatus[] = ['draft', 'submitted'];

const STAFF: readonly Role[] = ['inspector', 'manager'];
const MANAGERS: readonly Role[] = ['manager'];
const EVERYONE: readonly Role[] = ['inspector', 'manager', 'reader'];

/** No longer current: replaced by a correction, or withdrawn. Search shows them only when asked by status. */
export const NOT_CURRENT: readonly LetterStatus[] = ['superseded', 'withdrawn'];
export const isCurrent = (status: LetterStatus) => !NOT_CURRENT.includes(status);

/** Who is asking, and what else a rule needs to know: the council's directory entry, for four eyes. */
export interface Asking {
  actor?: Actor;
  council?: Pick<CouncilEntry, 'name' | 'changes'>;
}

/** Something that must hold of the letter, besides its status, for an action to go ahead. */
export interface Requirement {
  holds(letter: Letter, asking: Asking): boolean;
  problem(letter: Letter, asking: Asking): AppError;
  /** What of it the write's condition holds too, so a request racing another cannot slip past it. */
  inWrite?(actor: Actor): Partial<WriteGuard>;
}

/** An inspector changes only the drafts they created; a manager any draft. */
const ownDraft: Requirement = {
  holds: (letter, { actor }) => actor?.role !== 'inspector' || letter.createdBy.sub === actor.sub,
  problem: (letter) =>
    new ForbiddenError(`An inspector changes only the drafts they created; ${letter.createdBy.name} created this one. A manager can change any draft.`),
  inWrite: (actor) => (actor.role === 'inspector' ? { createdBy: actor.sub } : {}),
};

/** The approving manager wrote none of it: not the creator, no contributor, not who re-pointed its council's entry. */
const fourEyes: Requirement = {
  holds: (letter, { actor, council }) => !actor || fourEyesRefusal(letter, actor, council) === undefined,
  problem: (letter, { actor, council }) => new ForbiddenError(fourEyesRefusal(letter, actor!, council)!),
  inWrite: (actor) => ({ notAuthor: actor.sub }),
};

const hasFindings: Requirement = {
  holds: (letter) => letter.findings.length > 0,
  problem: () => new ValidationError([{ field: 'findings', message: 'must have at least one finding before the letter is submitted' }]),
};

/** A letter that would print more pages than the limit is refused before anyone can approve it. */
const withinPageLimit: Requirement = {
  // A letter still missing facts has no pages to count yet: the missing facts are said instead.
  holds: (letter) => missingFacts(letter.facts).length > 0 || estimatePages(contentOf(letter)) <= LIMITS.pages,
  problem: (letter) =>
    new ValidationError([
      {
        field: 'pages',
        message: `would print about ${estimatePages(contentOf(letter))} pages; a letter may have at most ${LIMITS.pages}: shorten the findings or the summary`,
      },
    ]),
};

/**
 * An approved letter goes back to its authors only once the render stage refused it for its
 * length (final for that approval), so that nothing is returned while it is being printed.
 */
const submittedOrRefusedAtRender: Requirement = {
  holds: (letter) => letter.status !== 'approved' || refusedAtRender(letter),
  problem: () => new ConflictError('The letter is approved and being made into a PDF; only a submitted letter, or an approved one the render refused for its length, can be returned.'),
};

const hasEveryFact: Requirement = {
  holds: (letter) => missingFacts(letter.facts).length === 0,
  problem: (letter) => new ValidationError(missingFacts(letter.facts).map((field) => ({ field, message: 'is required before the letter is submitted' }))),
};

/**
 * Whether a copy is sent again by a redistribution: a failed one always; a bounced or complained
 * one only once a manager has given it a new address since (the old one will not take it).
 */
export function toResend(delivery: Delivery | undefined): boolean {
  if (!delivery || !PROBLEM_STATES.includes(delivery.state)) return false;
  if (delivery.state === 'failed') return true;
  return delivery.addressFix !== undefined && delivery.addressFix.at > (delivery.eventAt ?? '');
}

export const rolesToResend = (letter: Letter): RecipientRole[] => RECIPIENT_ROLES.filter((r) => toResend(letter.deliveries?.[r]));

const someCopyToResend: Requirement = {
  holds: (letter) => rolesToResend(letter).length > 0,
  problem: () =>
    new ConflictError('No copy of this letter is waiting to be sent again: a failed copy is retried, a bounced or complained one once its address is fixed.'),
};

/** Four eyes: the manager who changed where a copy goes does not also send it there. */
const anotherManagerSendsToAFixedAddress: Requirement = {
  holds: (letter, { actor }) => !actor || rolesToResend(letter).every((r) => letter.deliveries?.[r]?.addressFix?.by.sub !== actor.sub),
  problem: () =>
    new ForbiddenError('You changed the address of a copy to be sent again. Another manager must redistribute it: nobody both chooses where a letter goes and sends it.'),
};

/** One correction of a letter at a time: a second would leave two drafts each claiming to replace it. */
const noOpenCorrection: Requirement = {
  holds: (letter) => !letter.correction,
  problem: (letter) =>
    new ConflictError(
      `This letter already has a correction open: ${letter.correction!.id}. Change that one; once it is sent it replaces this letter, and a further change is a correction of it.`,
    ),
  inWrite: () => ({ correction: null }),
};

/**
 * A letter whose correction was approved is being replaced: withdrawing it now would leave the
 * correction to go out in its place. The correction's approval claims the letter (see
 * approveLetter), and the withdrawal's write holds to that claim's absence.
 */
const noCorrectionOnItsWay: Requirement = {
  holds: (letter) => !letter.correction?.approvedAt,
  problem: (letter) =>
    new ConflictError(
      `A correction of this letter, ${letter.correction!.id}, was approved and is being sent to replace it. Once it is sent, withdraw the correction if it must be withdrawn.`,
    ),
  inWrite: () => ({ correctionNotApproved: true }),
};

/** Only the copies that did not arrive can have their address fixed. */
export const FIXABLE_STATES = PROBLEM_STATES;

export interface ActionRule {
  /** The roles that may take the action; `system` for the stages behind the queues. */
  who: readonly Role[] | 'system';
  /** The statuses the action starts from; the write's condition holds the letter to them. Absent for create. */
  from?: readonly LetterStatus[];
  /** The status the action leaves the letter in; absent when it stays as it was. */
  to?: LetterStatus;
  /** Ends the refusal "only a draft letter can be …". */
  done: string;
  /** Ends the refusal "The reader role cannot …"; the action's name and "letters" otherwise. */
  refusal?: string;
  requires?: readonly Requirement[];
  /** Taking the action makes one of the letter's authors, who may not approve it. */
  authors?: boolean;
}

/**
 * Every action on a letter: who may take it, from which statuses, to which, and what else must
 * hold. The use cases check it before they write, the repository's conditional writes hold the
 * letter to it, and a refused write is explained from it.
 */
export const ACTIONS = {
  create: { who: STAFF, done: 'created' },
  read: { who: EVERYONE, from: LETTER_STATUSES, done: 'read' },
  edit: { who: STAFF, from: ['draft'], done: 'edited', requires: [ownDraft], authors: true },
  submit: { who: STAFF, from: ['draft'], to: 'submitted', done: 'submitted', requires: [ownDraft, hasEveryFact, hasFindings, withinPageLimit], authors: true },
  // Any manager may return a letter, its authors included: returning changes nothing in it.
  return: { who: MANAGERS, from: ['submitted', 'approved'], to: 'draft', done: 'returned', requires: [submittedOrRefusedAtRender] },
  approve: { who: MANAGERS, from: ['submitted'], to: 'approved', done: 'approved', requires: [fourEyes, withinPageLimit] },
  preview: { who: STAFF, from: BEFORE_APPROVAL, done: 'previewed' },
  render: { who: 'system', from: ['approved'], to: 'rendered', done: 'rendered' },
  distribute: { who: 'system', from: ['rendered'], to: 'distributed', done: 'distributed' },
  redistribute: {
    who: MANAGERS,
    from: ['rendered', 'distributed'],
    done: 'redistributed',
    requires: [someCopyToResend, anotherManagerSendsToAFixedAddress],
  },
  fixAddress: { who: MANAGERS, from: ['rendered', 'distributed'], done: 'given a new address', refusal: 'fix the addresses of letters' },
  retrieve: { who: EVERYONE, from: RENDERED_OR_LATER, done: 'retrieved' },
  correct: { who: STAFF, from: ['distributed'], done: 'corrected', requires: [noOpenCorrection] },
  supersede: { who: 'system', from: ['distributed'], to: 'superseded', done: 'superseded' },
  withdraw: { who: MANAGERS, from: ['distributed'], to: 'withdrawn', done: 'withdrawn', requires: [noCorrectionOnItsWay] },
  /** The withdrawal notices go out after the letter is withdrawn. */
  notify: { who: 'system', from: ['withdrawn'], done: 'notified' },
  history: { who: STAFF, from: LETTER_STATUSES, done: 'read', refusal: "read a letter's history" },
  accessLog: { who: MANAGERS, from: LETTER_STATUSES, done: 'read', refusal: "read a letter's access log" },
  integrity: { who: MANAGERS, from: LETTER_STATUSES, done: 'checked', refusal: "check a letter's record" },
} as const satisfies Record<string, ActionRule>;

export type Action = keyof typeof ACTIONS;
/** Actions taken on an existing letter. */
export type LetterAction = Exclude<Action, 'create'>;

const rule = (action: Action): ActionRule => ACTIONS[action];

/** Whether a role may take an action at all, whatever the letter's state. */
export function can(role: Role, action: Action): boolean {
  const who = rule(action).who;
  return who !== 'system' && who.includes(role);
}

export function authorise(actor: Actor, action: Action): void {
  if (!can(actor.role, action)) throw new ForbiddenError(`The ${actor.role} role cannot ${rule(action).refusal ?? `${action} letters`}.`);
}

/** The refusal of an action in the wrong status: 409, saying which statuses it needs. */
export function wrongStatus(action: LetterAction, status: LetterStatus): ConflictError {
  const { from, done } = rule(action);
  const statuses = from!.length > 1 ? `${from!.slice(0, -1).join(', ')} or ${from!.at(-1)}` : from![0];
  return new ConflictError(`The letter is ${status}; only a ${statuses} letter can be ${done}.`);
}

export const allowedFrom = (action: LetterAction, status: LetterStatus) => rule(action).from!.includes(status);

/**
 * Checks an action against the letter as read: its status, the version the caller read, and
 * what else the table requires of the letter and of who asks. Throws the problem a client should see.
 */
export function check(letter: Letter, action: LetterAction, expectedVersion?: number, asking: Asking = {}): void {
  if (!allowedFrom(action, letter.status)) throw wrongStatus(action, letter.status);
  if (expectedVersion !== undefined && letter.version !== expectedVersion) throw new PreconditionFailedError(letter.version);
  // Every unmet requirement at once: a letter short of several things says all of them.
  const problems = (rule(action).requires ?? []).filter((r) => !r.holds(letter, asking)).map((r) => r.problem(letter, asking));
  if (problems.length > 1 && problems.every((p) => p instanceof ValidationError)) {
    throw new ValidationError(problems.flatMap((p) => (p as ValidationError).fields));
  }
  if (problems[0]) throw problems[0];
}

/** Why the table refuses this person the action on the letter as read, or undefined: for pages deciding what to offer. */
export function refusal(letter: Letter, action: LetterAction, asking: Asking): string | undefined {
  try {
    check(letter, action, undefined, asking);
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}

/** What a conditional write is held to: the statuses of the table, the status it moves to, the version read, and who may write. */
export interface WriteGuard {
  from: readonly LetterStatus[];
  to?: LetterStatus;
  expectedVersion?: number;
  /** The letter was created by this subject id. */
  createdBy?: string;
  /** This subject id neither created the letter nor is one of its contributors. */
  notAuthor?: string;
  /** The write adds this subject id to the letter's contributors. */
  contributor?: string;
  /** The correction the letter has open: none (null), or the one with this id. */
  correction?: string | null;
  /** No correction of the letter has been approved (so none is on its way to replace it). */
  correctionNotApproved?: true;
}

export function guard(action: LetterAction, expectedVersion?: number, actor?: Actor): WriteGuard {
  const { from, to, requires, authors } = rule(action);
  const held = actor ? Object.assign({}, ...(requires ?? []).map((r) => r.inWrite?.(actor) ?? {})) : {};
  return {
    from: from!,
    ...(to ? { to } : {}),
    ...(expectedVersion !== undefined ? { expectedVersion } : {}),
    ...held,
    ...(actor && authors ? { contributor: actor.sub } : {}),
  };
}
