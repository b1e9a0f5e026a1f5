// The office's REST client: tokens in sessionStorage (a tab's session ends with the tab), the
// Authorization header on every call, one refresh on 401 (POST /api/auth/refresh).
import { reactive } from 'vue'
import { dateTime } from './format'
import { i18n } from './i18n'
import { isOfficeRole } from './menus'
import type { Page } from './types'

export interface User {
  id: string
  username: string
  display_name: string
  role: string
}

interface Tokens {
  access_token: string
  refresh_token: string
  device_id: string
  user: User
}

const KEY = 'fieldsync-office-session'

export class ApiError extends Error {
  /** `extra` is the problem's detail per field, as the server sent it (a 400's failed field);
   * `code` and `params` say what went wrong for the console to put in words (api/error_codes.py). */
  constructor(
    public status: number,
    public detail: string,
    public extra: unknown = null,
    public code: string | null = null,
    public params: Record<string, unknown> | null = null,
  ) {
    super(detail)
  }
}

/** Refused because the account is not an office account (engineers use the app). */
export class NotOffice extends Error {}

function load(): Tokens | null {
  try {
    const raw = sessionStorage.getItem(KEY)
    return raw ? (JSON.parse(raw) as Tokens) : null
  } catch {
    return null
  }
}

export const session = reactive<{ tokens: Tokens | null }>({ tokens: load() })

function save(tokens: Tokens | null): void {
  session.tokens = tokens
  if (tokens) sessionStorage.setItem(KEY, JSON.stringify(tokens))
  else sessionStorage.removeItem(KEY)
}

/** The reason an error answer gives: its `detail`, except that a refused body or query
 * ("Validation failed for POST /api/parts", which says nothing of why) gives the reasons in
 * `extra` instead, each after its field unless the reason names it ("code: Expected `str` of
 * length >= 1", "price may have at most 2 decimal places, got 12.345"). */
export function reasonOf(body: unknown): string | null {
  if (typeof body !== 'object' || body === null) return null
  const { detail, extra } = body as { detail?: unknown; extra?: unknown }
  if (typeof detail !== 'string') return null
  if (!detail.startsWith('Validation failed') || !Array.isArray(extra)) return detail
  const reasons = extra.flatMap((e: { message?: unknown; key?: unknown }) => {
    if (typeof e?.message !== 'string') return []
    const key = typeof e.key === 'string' && e.key !== 'data' && !e.message.includes(e.key) ? `${e.key}: ` : ''
    return [`${key}${e.message}`]
  })
  return reasons.length ? reasons.join('; ') : detail
}

async function errorOf(response: Response): Promise<ApiError> {
  let detail = `${response.status} ${response.statusText}`
  let extra: unknown = null
  let code: string | null = null
  let params: Record<string, unknown> | null = null
  try {
    const body = (await response.json()) as { detail?: unknown; extra?: unknown; code?: unknown; params?: unknown }
    detail = reasonOf(body) ?? detail
    extra = body.extra ?? null
    if (typeof body.code === 'string') code = body.code
    if (typeof body.params === 'object' && body.params !== null) params = body.params as Record<string, unknown>
  } catch {
    // not JSON
  }
  return new ApiError(response.status, detail, extra, code, params)
}

/** An error answer's code in the desk's language (texts in text/errors.ts), or null when the
 * console has no words for it: a newer server's code is then shown by its English detail. */
export function inWords(code: string | null, params: Record<string, unknown> | null): string | null {
  const g = i18n.global
  if (!code || !/^[a-z_]+$/.test(code) || !g.te(`errors.${code}`)) return null
  const values: Record<string, unknown> = { ...params }
  const named = (key: string, value: unknown): unknown =>
    typeof value === 'string' && g.te(`${key}.${value.replace(/ /g, '_')}`) ? g.t(`${key}.${value.replace(/ /g, '_')}`) : value
  for (const [key, value] of Object.entries(values)) {
    if (typeof value === 'number') values[key] = value.toLocaleString(g.locale.value) // 10,000
  }
  // A receipt's status is where the item is (text/receipts.ts), not a job's status.
  values.status = named(code === 'receipt_status' ? 'receipts.status' : 'status', values.status)
  values.what = named('errors.things', values.what)
  // An instant (a move's earliest time) as the department's wall clock, as the screens show it.
  if (typeof values.earliest === 'string') values.earliest = dateTime(values.earliest, g.locale.value)
  if (typeof values.fields === 'string') {
    values.fields = values.fields.split(', ').map((f) => named('errors.fields', f)).join(g.t('errors.fieldsJoin'))
  }
  return g.t(`errors.${code}`, values)
}

const DEVICES_KEY = 'fieldsync.office.devices'

/** This browser's device id for `username`, kept across sign-outs and tabs: the server knows a
 * browser its user signed in on before, and does not hold it up when someone else's guesses
 * have used up the username's login attempts. One id per user: an id belongs to one user. */
export function deviceFor(username: string): string {
  const name = username.trim().toLowerCase()
  let devices: Record<string, string> = {}
  try {
    devices = JSON.parse(localStorage.getItem(DEVICES_KEY) ?? '{}') as Record<string, string>
  } catch {
    devices = {}
  }
  let id = devices[name]
  if (!id) {
    id = crypto.randomUUID()
    devices[name] = id
    try {
      localStorage.setItem(DEVICES_KEY, JSON.stringify(devices))
    } catch {
      // Storage full or refused: a new id each time, as before.
    }
  }
  return id
}

export async function login(username: string, password: string): Promise<User> {
  const device_id = deviceFor(username)
  const response = await fetch('/api/auth/login', {
    method: 'POST',
    headers: { 'Content-Type': 'application/json' },
    body: JSON.stringify({ username, password, device_id, device_name: 'Office console' }),
  })
  if (!response.ok) throw await errorOf(response)
  const tokens = (await response.json()) as Tokens
  if (!isOfficeRole(tokens.user.role)) {
    // Sign the engineer's new device out again: the console is not theirs.
    await fetch('/api/auth/logout', { method: 'POST', headers: { Authorization: `Bearer ${tokens.access_token}` } })
    throw new NotOffice(tokens.user.role)
  }
  save(tokens)
  return tokens.user
}

export async function logout(): Promise<void> {
  const tokens = session.tokens
  save(null)
  if (tokens) {
    await fetch('/api/auth/logout', { method: 'POST', headers: { Authorization: `Bearer ${tokens.access_token}` } })
      .catch(() => undefined)
  }
}

let refreshing: Promise<boolean> | null = null

async function refresh(): Promise<boolean> {
  const tokens = session.tokens
  if (!tokens) return false
  refreshing ??= (async () => {
    try {
      const response = await fetch('/api/auth/refresh', {
        method: 'POST',
        headers: { 'Content-Type': 'application/json' },
        body: JSON.stringify({ refresh_token: tokens.refresh_token, device_id: tokens.device_id }),
      })
      if (!response.ok) {
        save(null)
        return false
      }
      save({ ...tokens, ...((await response.json()) as Tokens) })
      return true
    } finally {
      refreshing = null
    }
  })()
  return refreshing
}

/** fetch with the access token; a 401 refreshes once and retries; a failed refresh logs out. */
export async function authFetch(path: string, init: RequestInit = {}): Promise<Response> {
  const go = () => {
    const headers = new Headers(init.headers)
    if (session.tokens) headers.set('Authorization', `Bearer ${session.tokens.access_token}`)
    return fetch(path, { ...init, headers })
  }
  let response = await go()
  if (response.status === 401 && (await refresh())) response = await go()
  if (response.status === 401) save(null)
  return response
}

export async function api<T>(method: string, path: string, body?: unknown): Promise<T> {
  const init: RequestInit = { method }
  if (body !== undefined) {
    init.body = JSON.stringify(body)
    init.headers = { 'Content-Type': 'application/json' }
  }
  const response = await authFetch(path, init)
  if (!response.ok) throw await errorOf(response)
  if (response.status === 204) return undefined as T
  return (await response.json()) as T
}

export const get = <T>(path: string) => api<T>('GET', path)
export const post = <T>(path: string, body: unknown = {}) => api<T>('POST', path, body)
export const patch = <T>(path: string, body: unknown) => api<T>('PATCH', path, body)

/** The largest page the list endpoints give. */
export const PAGE_LIMIT = 200

/** Every item of a paged list (`{items, total}`), page after page: a work list that showed only
 * its first page would hide the jobs after it from the desk without a word. */
export async function getAll<T>(path: string): Promise<T[]> {
  const sep = path.includes('?') ? '&' : '?'
  const items: T[] = []
  for (;;) {
    const page = await get<{ items: T[]; total: number }>(`${path}${sep}limit=${PAGE_LIMIT}&offset=${items.length}`)
    items.push(...page.items)
    if (page.items.length < PAGE_LIMIT || items.length >= page.total) return items
  }
}

/** Page sizes a paged table offers; the largest is the most a list endpoint gives. */
export const PAGE_SIZES = [20, 50, 100, PAGE_LIMIT]

/** Page `page` (from 1) of `size` rows of a paged list, and the page it turned out to be: a page
 * past the end (the list shrank since it was shown: a complaint resolved under the "open" filter)
 * gives the last one instead, rather than an empty table above a total that says there are rows. */
export async function getPage<T>(path: string, page: number, size: number): Promise<{ page: number; data: Page<T> }> {
  const sep = path.includes('?') ? '&' : '?'
  const at = (p: number) => get<Page<T>>(`${path}${sep}offset=${(p - 1) * size}&limit=${size}`)
  const wanted = Math.max(1, Math.floor(page))
  const data = await at(wanted)
  const last = Math.max(1, Math.ceil(data.total / size))
  if (data.items.length > 0 || wanted <= last) return { page: wanted, data }
  return { page: last, data: await at(last) }
}

/** An object URL for a protected file (photos, PDFs); the caller revokes it. */
export async function blobUrl(path: string): Promise<string> {
  const response = await authFetch(path)
  if (!response.ok) throw await errorOf(response)
  return URL.createObjectURL(await response.blob())
}

/** Download a protected file under ``name`` (the link needs the Authorization header). */
export async function download(path: string, name: string): Promise<void> {
  const url = await blobUrl(path)
  const a = document.createElement('a')
  a.href = url
  a.download = name
  document.body.appendChild(a)
  a.click()
  a.remove()
  setTimeout(() => URL.revokeObjectURL(url), 60_000)
}

/** Open a protected file (a PDF) in a new tab. */
export async function openFile(path: string): Promise<void> {
  const url = await blobUrl(path)
  window.open(url, '_blank')
  setTimeout(() => URL.revokeObjectURL(url), 300_000)
}

/** The fields a 400 refused, with the server's message about each (the problem's `extra`:
 * `[{key, message, source}]`); a reason about the whole body (key `data`, or none) has key ''. */
export function failedFields(e: unknown): { key: string; message: string }[] {
  if (!(e instanceof ApiError) || e.status !== 400 || !Array.isArray(e.extra)) return []
  return e.extra.flatMap((x: unknown) => {
    if (typeof x !== 'object' || x === null) return []
    const { key, message } = x as { key?: unknown; message?: unknown }
    const text = typeof message === 'string' ? message : ''
    const field = typeof key === 'string' && key !== 'data' ? key : ''
    return field || text ? [{ key: field, message: text }] : []
  })
}

/** A refusal in words: the server's reason (see reasonOf). Given `label` (a field's name in the
 * desk's language, by the key the server names it by: `phone`, `contacts[0].phone`), each field
 * a 400 refused is named by it, with the server's message about it. */
export function errorText(e: unknown, label?: (key: string) => string): string {
  if (label) {
    const fields = failedFields(e).map((f) => (!f.key ? f.message : f.message ? `${label(f.key)}: ${f.message}` : label(f.key)))
    if (fields.length) return fields.join('; ')
  }
  if (e instanceof ApiError) return inWords(e.code, e.params) ?? e.message
  return e instanceof Error ? e.message : String(e)
}
