// The people screen's logic, apart from the view: accounts (GET/POST/PATCH /api/users), their
// devices (GET /api/devices?user_id=) and what the screen says of them.
import { changedText } from './edits'
import type { Team, UserRow } from './types'

/** An account as the API answers it (UserOut): a user row with its contact details, app
 * language, region and team. */
export interface Account extends UserRow {
  phone: string
  email: string
  locale: string
  region_id: string | null
  team_id: string | null
}

/** A device signed in to an account (DeviceOut). */
export interface Device {
  id: string
  user_id: string
  name: string
  created_at: string
  last_seen_at: string
  refresh_expires_at: string
  revoked_at: string | null
  app_version: string
  clock_offset_ms: number | null
}


/** The teams a form offers with a region chosen: the region's and those of no region; every
 * team with no region chosen. */
export function teamsOf(teams: Team[], regionId: string): Team[] {
  return teams.filter((x) => !regionId || !x.region_id || x.region_id === regionId)
}

/** The team a form keeps once its region is changed: none when the team is another region's
 * (the list no longer offers it, and the account would be sent in a team of a region it left). */
export function teamAfter(teams: Team[], regionId: string, teamId: string): string {
  const known = teams.some((x) => x.id === teamId)
  return !teamId || !known || teamsOf(teams, regionId).some((x) => x.id === teamId) ? teamId : ''
}

/** The roles an account may have (api/models.py Role), in the order the screen offers them. */
export const ROLES = ['engineer', 'dispatcher', 'supervisor', 'quality', 'admin'] as const

/** A device clock further off than this was flagged at its last sync: the server's
 * `SKEW_LIMIT` (api/domain/sync/push.py), more than 5 minutes either way. */
export const SKEW_LIMIT_MS = 5 * 60 * 1000

// The limits of UserIn / UserPatch (api/domain/users/controllers.py), checked before sending
// so the form can say what is wrong in the desk's language; the server checks them again.
export const USERNAME_MAX = 64
export const NAME_MAX = 100
export const PASSWORD_MIN = 8
export const PASSWORD_MAX = 256
export const PHONE_MAX = 40
export const EMAIL_MAX = 200
/** `^[\w.@-]+$` as the server (Python) reads it: `\w` there is any Unicode letter or digit
 * and `_`, so 张伟 is a valid username; JavaScript's `\w` alone would refuse it. */
const USERNAME = /^[\p{L}\p{N}_.@-]+$/u
/** A length as the server counts it: in characters (code points), not UTF-16 units. */
const chars = (s: string) => [...s].length

/** A length of time in the largest unit that reads well: 40 s, 7 min, 3 h, 2 d. */
export interface Span { n: number; unit: 's' | 'min' | 'h' | 'd' }

export function span(ms: number): Span {
  const s = Math.round(Math.abs(ms) / 1000)
  if (s < 60) return { n: s, unit: 's' }
  const min = Math.round(s / 60)
  if (min < 120) return { n: min, unit: 'min' }
  const h = Math.round(min / 60)
  if (h < 48) return { n: h, unit: 'h' }
  return { n: Math.round(h / 24), unit: 'd' }
}

/** What the screen says of a device's clock at its last sync: unknown (never pushed), on
 * time, or ahead / behind by how much, and whether that is past the server's skew limit. */
export type Clock =
  | { kind: 'unknown' }
  | { kind: 'on_time' }
  | { kind: 'fast' | 'slow'; skewed: boolean; by: Span }

export function clockOf(offsetMs: number | null | undefined): Clock {
  if (offsetMs === null || offsetMs === undefined) return { kind: 'unknown' }
  // Network time makes a right clock read a little slow: under a second is on time.
  if (Math.abs(offsetMs) < 1000) return { kind: 'on_time' }
  // The offset is the device's clock minus the server's: positive when the device is ahead.
  return { kind: offsetMs > 0 ? 'fast' : 'slow', skewed: Math.abs(offsetMs) > SKEW_LIMIT_MS, by: span(offsetMs) }
}

/** How long ago a device was last seen: under a minute is "just now". */
export type Ago = { unit: 'now' } | { unit: 'min' | 'h' | 'd'; n: number }

export function ago(iso: string, now: Date): Ago {
  const ms = now.getTime() - new Date(iso).getTime()
  const min = Math.floor(ms / 60_000)
  if (min < 1) return { unit: 'now' } // also a time a little ahead of this PC's clock
  if (min < 60) return { unit: 'min', n: min }
  const h = Math.floor(min / 60)
  if (h < 24) return { unit: 'h', n: h }
  return { unit: 'd', n: Math.floor(h / 24) }
}

/** A device's standing: revoked by the office (or signed out), its session run out without
 * a refresh, or signed in. */
export function deviceState(d: Device, now: Date): 'revoked' | 'expired' | 'active' {
  if (d.revoked_at) return 'revoked'
  return new Date(d.refresh_expires_at).getTime() <= now.getTime() ? 'expired' : 'active'
}

/** A short name for a device: the engineer app names its device by the browser's user agent
 * ("Mozilla/5.0 (Linux; Android 13; SM-G991B) … Chrome/120.0 Mobile Safari/537.36"), which
 * reads better as "Android 13 SM-G991B · Chrome 120". Any other name is kept as it is. */
export function deviceLabel(name: string): string {
  const ua = name.trim()
  if (!ua.startsWith('Mozilla/')) return ua
  const inside = /\(([^)]*)\)/.exec(ua)?.[1] ?? ''
  const parts = inside.split(';').map((p) => p.trim())
  let system = ''
  const android = parts.findIndex((p) => p.startsWith('Android'))
  const apple = /(iPhone|iPad)[^;]*? OS (\d+)[_.]?(\d+)?/.exec(inside)
  if (android >= 0) {
    const model = parts[android + 1]
    system = [parts[android], model && model !== 'K' && !model.startsWith('wv') ? model : ''].filter(Boolean).join(' ')
  } else if (apple) system = `${apple[1]} iOS ${apple[2]}${apple[3] ? `.${apple[3]}` : ''}`
  else if (inside.includes('Windows')) system = 'Windows'
  else if (inside.includes('Mac OS X')) system = 'macOS'
  else if (inside.includes('Linux')) system = 'Linux'
  const browsers: [RegExp, string][] = [
    [/MicroMessenger\/(\d+)/, 'WeChat'], [/EdgA?\/(\d+)/, 'Edge'], [/Firefox\/(\d+)/, 'Firefox'],
    [/(?:Chrome|CriOS)\/(\d+)/, 'Chrome'], [/Version\/(\d+)[\d.]* (?:Mobile\/\S+ )?Safari/, 'Safari'],
  ]
  let browser = ''
  for (const [re, label] of browsers) {
    const m = re.exec(ua)
    if (m) {
      browser = `${label} ${m[1]}`
      break
    }
  }
  const label = [system, browser].filter(Boolean).join(' · ')
  return label || ua
}

/** A new account as the form holds it; empty region / team is none. */
export interface NewAccount {
  username: string
  display_name: string
  password: string
  role: string
  phone: string
  email: string
  locale: string
  region_id: string
  team_id: string
}

export function blankAccount(): NewAccount {
  return { username: '', display_name: '', password: '', role: 'engineer', phone: '', email: '', locale: 'zh-CN', region_id: '', team_id: '' }
}

/** Why a form's value would be refused, by field; none when it may be sent. */
export type Problem = 'usernameChars' | 'usernameLong' | 'nameMissing' | 'nameLong' | 'passwordShort' | 'passwordLong'

export function passwordProblem(password: string): Problem | null {
  if (chars(password) < PASSWORD_MIN) return 'passwordShort'
  if (chars(password) > PASSWORD_MAX) return 'passwordLong'
  return null
}

function nameProblem(name: string): Problem | null {
  const n = name.trim()
  if (!n) return 'nameMissing'
  return chars(n) > NAME_MAX ? 'nameLong' : null
}

export function newAccountProblems(a: NewAccount): Partial<Record<'username' | 'display_name' | 'password', Problem>> {
  const out: Partial<Record<'username' | 'display_name' | 'password', Problem>> = {}
  const username = a.username.trim()
  if (!USERNAME.test(username)) out.username = 'usernameChars'
  else if (chars(username) > USERNAME_MAX) out.username = 'usernameLong'
  const name = nameProblem(a.display_name)
  if (name) out.display_name = name
  const password = passwordProblem(a.password)
  if (password) out.password = password
  return out
}

/** The body of POST /api/users: text trimmed (the password as typed), no region or team
 * when none is chosen. */
export function newAccountBody(a: NewAccount): Record<string, unknown> {
  const body: Record<string, unknown> = {
    username: a.username.trim(),
    display_name: a.display_name.trim(),
    password: a.password,
    role: a.role,
    phone: a.phone.trim(),
    email: a.email.trim(),
    locale: a.locale,
  }
  if (a.region_id) body.region_id = a.region_id
  if (a.team_id) body.team_id = a.team_id
  return body
}

/** An account's editable details as the edit form holds them; empty region / team is none. */
export interface AccountDraft {
  display_name: string
  role: string
  phone: string
  email: string
  locale: string
  active: boolean
  region_id: string
  team_id: string
}

export function draftOf(a: Account): AccountDraft {
  return {
    display_name: a.display_name, role: a.role, phone: a.phone, email: a.email, locale: a.locale,
    active: a.active, region_id: a.region_id ?? '', team_id: a.team_id ?? '',
  }
}

export function draftProblems(d: AccountDraft): Partial<Record<'display_name', Problem>> {
  const name = nameProblem(d.display_name)
  return name ? { display_name: name } : {}
}

/** The body of PATCH /api/users/{id}: only what the form changed, so a field someone else
 * changed meanwhile is not written back with the old value (and a role or active flag left
 * alone does not sign the person's devices out). Empty when nothing changed. */
export function accountChanges(a: Account, d: AccountDraft): Record<string, unknown> {
  const out: Record<string, unknown> = changedText(a, d, ['display_name', 'phone', 'email'] as const)
  if (d.role !== a.role) out.role = d.role
  if (d.locale !== a.locale) out.locale = d.locale
  if (d.active !== a.active) out.active = d.active
  if ((d.region_id || null) !== a.region_id) out.region_id = d.region_id || null
  if ((d.team_id || null) !== a.team_id) out.team_id = d.team_id || null
  return out
}

/** Whether these changes sign out every device of the account (the server does so for a new
 * role, a change of the active flag or a new password). */
export function signsOut(changes: Record<string, unknown>): boolean {
  return 'role' in changes || 'active' in changes || 'password' in changes
}
