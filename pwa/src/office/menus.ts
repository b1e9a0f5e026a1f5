// Role-aware menus and actions of the console (docs/api.md "Roles"; each route's roles).

export type Role = 'admin' | 'dispatcher' | 'supervisor' | 'quality' | 'engineer'
export const OFFICE_ROLES: readonly Role[] = ['admin', 'dispatcher', 'supervisor', 'quality']

export interface MenuItem {
  key: string
  path: string
  roles: readonly Role[]
}

const DESK: readonly Role[] = ['admin', 'dispatcher', 'supervisor']
const STAFF: readonly Role[] = [...DESK, 'quality']

/** Screens in menu order, with the roles whose API calls the screen needs. */
export const MENU: readonly MenuItem[] = [
  { key: 'intake', path: '/intake', roles: DESK },
  { key: 'board', path: '/board', roles: DESK },
  { key: 'review', path: '/review', roles: ['admin', 'supervisor', 'quality'] },
  { key: 'conflicts', path: '/conflicts', roles: STAFF },
  { key: 'settlement', path: '/settlement', roles: STAFF },
  { key: 'van', path: '/van', roles: STAFF },
  { key: 'receipts', path: '/receipts', roles: STAFF },
  { key: 'followup', path: '/follow-up', roles: DESK },
  { key: 'complaints', path: '/complaints', roles: STAFF },
  { key: 'figures', path: '/figures', roles: STAFF },
  { key: 'customers', path: '/customers', roles: STAFF },
  { key: 'catalogue', path: '/catalogue', roles: STAFF },
  { key: 'people', path: '/people', roles: ['admin'] },
]

export type Action =
  | 'dispatch' | 'review' | 'resolve' | 'settle' | 'reclassify' | 'labour' | 'followup' | 'complain'
  | 'records' | 'catalogue' | 'people' | 'receipts'

const ACTIONS: Record<Action, readonly Role[]> = {
  dispatch: DESK,
  review: ['supervisor'],
  resolve: DESK,
  settle: DESK,
  reclassify: ['supervisor'],
  labour: DESK,
  followup: DESK,
  complain: DESK,
  // Customers, sites and equipment; the parts catalogue and stock; accounts and devices.
  records: DESK,
  catalogue: DESK,
  people: ['admin'],
  // Logging items taken back for repair in and out, and their promise dates (quality reads).
  receipts: DESK,
}

export function isOfficeRole(role: string): role is Role {
  return (OFFICE_ROLES as readonly string[]).includes(role)
}

export function menuFor(role: string): MenuItem[] {
  return MENU.filter((m) => (m.roles as readonly string[]).includes(role))
}

export function can(role: string, action: Action): boolean {
  return (ACTIONS[action] as readonly string[]).includes(role)
}

/** The first screen of a role: where the login lands. */
export function homeOf(role: string): string {
  return menuFor(role)[0]?.path ?? '/login'
}
