import type { Role } from './letter';

export const ROLES: readonly Role[] = ['inspector', 'manager', 'reader'];

export type Action =
  | 'create'
  | 'edit'
  | 'submit'
  | 'return'
  | 'approve'
  | 'redistribute'
  | 'read'
  | 'preview'
  | 'retrieve';

const ALLOWED: Record<Role, ReadonlySet<Action>> = {
  inspector: new Set(['create', 'edit', 'submit', 'read', 'preview', 'retrieve']),
  manager: new Set(['create', 'edit', 'submit', 'return', 'approve', 'redistribute', 'read', 'preview', 'retrieve']),
  // Readers see the archive only: letters once approved.
  reader: new Set(['read', 'retrieve']),
};

export const can = (role: Role, action: Action) => ALLOWED[role].has(action);

/** The most capable role among a token's groups decides what its holder may do. */
export function roleFromGroups(groups: readonly string[]): Role | undefined {
  return (['manager', 'inspector', 'reader'] as const).find((r) => groups.includes(r));
}
