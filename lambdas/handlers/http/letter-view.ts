import type { Letter } from '../../core/letter';
import { orderedFindings } from '../../core/letter';

/** The letter as the API shows it: its facts at the top level, like the documents it is created from. */
export function letterResponse(letter: Letter) {
  return {
    id: letter.id,
    status: letter.status,
    version: letter.version,
    createdAt: letter.createdAt,
    updatedAt: letter.updatedAt,
    createdBy: letter.createdBy,
    ...letter.facts,
    findings: orderedFindings(letter.findings),
    ...(letter.returnComment ? { returnComment: letter.returnComment } : {}),
    ...(letter.approval
      ? { approval: { by: letter.approval.byName, at: letter.approval.at, version: letter.approval.version } }
      : {}),
    pdf: letter.pdf ? { key: letter.pdf.key, sha256: letter.pdf.sha256, bytes: letter.pdf.bytes, pages: letter.pdf.pages } : null,
    deliveries: Object.fromEntries(
      Object.entries(letter.deliveries ?? {}).map(([role, d]) => [
        role,
        { email: d!.email, state: d!.state, messageId: d!.messageId ?? null, lastError: d!.lastError ?? null, attempts: d!.attempts, updatedAt: d!.updatedAt },
      ]),
    ),
    history: letter.history,
  };
}

/** A letter as one row of a search's results. */
export function letterSummaryResponse(letter: Letter) {
  return {
    id: letter.id,
    status: letter.status,
    version: letter.version,
    letterDate: letter.facts.letterDate,
    authority: letter.facts.authority.name,
    inspector: letter.facts.inspector.name,
    findings: letter.findings.length,
    updatedAt: letter.updatedAt,
  };
}
