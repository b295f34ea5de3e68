import type { Role } from './letter';

export const ROLES: readonly Role[] = ['inspector', 'manager', 'reader'];

// Who may take each action is part of the table of actions, beside the statuses it needs.
export { type Action, can } from './transitions';

/** The most capable role among a token's groups decides what its holder may do. */
export function roleFromGroups(groups: readonly string[]): Role | undefined {
  return (['manager', 'inspector', 'reader'] as const).find((r) => groups.includes(r));
}
