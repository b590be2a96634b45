import type { Role } from './types.js';

const RANK: Record<Role, number> = { viewer: 0, operator: 1, admin: 2 };

/** Whether a token of role `have` may do what needs `need` (the server checks again). */
export function hasRole(have: Role, need: Role): boolean {
  return (RANK[have] ?? -1) >= RANK[need];
}
