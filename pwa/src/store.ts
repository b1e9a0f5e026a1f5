// The app's state: the session (one device id per user), the replica view and the sync loop.
import Dexie from 'dexie'
import { reactive, shallowRef, triggerRef } from 'vue'
import { AccountsDb, DeviceDb, deviceDbName, getMeta, setMeta, type Args, type FailedEntry } from './db'
import { applyLocally, jobOf, key, validate, validateOnReplica, withBase, type Rec, type View } from './mutators'
import { draftsOf, forgetDraft, localStore, unqueued } from './drafts'
import { uuid7 } from './ids'
import { enqueue, enqueueWithBytes, rebase } from './outbox'
import { APP_VERSION, HttpError, SyncEngine, errorOf, sendAgain, unsentBlobs } from './sync'

export interface User {
  id: string
  username: string
  display_name: string
  role: string
  locale: string
}

export const view = shallowRef<View>(new Map())

export const state = reactive({
  ready: false,
  user: null as User | null,
  deviceId: '',
  online: typeof navigator === 'undefined' ? true : navigator.onLine,
  syncing: false,
  pending: 0,
  pendingByJob: {} as Record<string, number>,
  /** Mutations per job the server answered `conflict` that no pull has followed yet: until one
   * does, the phone shows the engineer's values where the server may have kept the office's. */
  conflictedByJob: {} as Record<string, number>,
  failed: [] as FailedEntry[],
  lastSyncAt: '',
  lastError: '',
  /** What kind of failure `lastError` is (`errorKind` in sync.ts), for the app's words. */
  lastErrorKind: '',
  needsLogin: '',
  clockSkewed: false,
  uploadsWaiting: 0,
  /** Photo bytes whose record the server refused: kept here, never uploaded, not unsent work. */
  uploadsDetached: 0,
  /** Photo bytes the server refused for good, with why: kept here, never sent again. */
  uploadsRefused: [] as { sha256: string; reason: string }[],
})

let accounts: AccountsDb | null = null
let db: DeviceDb | null = null
let engine: SyncEngine | null = null
let timer: ReturnType<typeof setInterval> | null = null
const PERIOD_MS = 60_000

export function deviceDb(): DeviceDb {
  if (!db) throw new Error('no session')
  return db
}

function accountsDb(): AccountsDb {
  accounts ??= new AccountsDb()
  return accounts
}

/** Recompute the replica (records + pending mutations) and the counters shown. */
export async function refresh(): Promise<void> {
  if (!db) return
  view.value = await rebase(db)
  const queued = await db.outbox.toArray()
  state.pending = queued.length
  const byJob: Record<string, number> = {}
  for (const e of queued) if (e.jobId) byJob[e.jobId] = (byJob[e.jobId] ?? 0) + 1
  state.pendingByJob = byJob
  const conflicted: Record<string, number> = {}
  for (const e of await db.acked.toArray()) {
    if (e.status === 'conflict' && e.jobId) conflicted[e.jobId] = (conflicted[e.jobId] ?? 0) + 1
  }
  state.conflictedByJob = conflicted
  state.failed = await db.failed.orderBy('seq').reverse().toArray()
  state.lastSyncAt = await getMeta(db, 'lastSyncAt', '')
  state.lastError = await getMeta(db, 'lastError', '')
  state.lastErrorKind = await getMeta(db, 'lastErrorKind', '')
  state.needsLogin = await getMeta(db, 'needsLogin', '')
  state.clockSkewed = await getMeta(db, 'clockSkewed', false)
  const unsent = await unsentBlobs(db)
  state.uploadsWaiting = unsent.waiting.length
  state.uploadsDetached = unsent.detached.length
  state.uploadsRefused = unsent.refused.map((b) => ({ sha256: b.sha256, reason: b.refused ?? '' }))
}

async function openDevice(deviceId: string, user: User): Promise<void> {
  db?.close()
  db = new DeviceDb(deviceDbName(deviceId))
  await db.open()
  engine = new SyncEngine(db, deviceId, { fetch: (...a) => fetch(...a), base: '' })
  state.deviceId = deviceId
  state.user = user
  await refresh()
  await queueDrafts(deviceId)
}

/** Queue the record text a reload or a killed app left unqueued (see drafts.ts), with the base
 * the engineer typed over; text for a field changed since goes in a note instead. */
async function queueDrafts(deviceId: string): Promise<void> {
  const storage = localStore()
  if (!storage) return
  for (const draft of draftsOf(storage, deviceId)) {
    const job = view.value.get(key('jobs', draft.jobId))
    if (!job) continue // not on this phone (yet): kept for a later start
    const { fields, aside } = unqueued(draft, (f) => (typeof job[f] === 'string' ? (job[f] as string) : null))
    try {
      if (Object.keys(fields).length) {
        const base = Object.fromEntries(Object.keys(fields).map((f) => [f, draft.base[f] ?? null]))
        await mutate('job.record', { job_id: draft.jobId, fields, base })
      }
      for (const [field, text] of Object.entries(aside)) {
        const body = `未保存的记录文字 Record text kept when the app closed (${field}):\n${text}`
        await mutate('note.add', { id: uuid7(), job_id: draft.jobId, body: body.slice(0, 10_000) })
      }
      forgetDraft(storage, deviceId, draft.jobId)
    } catch (e) {
      console.warn('typed record text could not be queued; kept for the next start', e)
    }
  }
}

let markStarted: () => void = () => {}
/** Resolves once start() has reopened the last session (the router waits for it). */
export const started = new Promise<void>((resolve) => {
  markStarted = resolve
})

/** On start: reopen the last account's device, show its replica, and sync. */
export async function start(): Promise<void> {
  const current = await accountsDb().settings.get('current')
  if (current && typeof current.value === 'string') {
    const account = await accountsDb().accounts.get(current.value)
    if (account) {
      const device = new DeviceDb(deviceDbName(account.deviceId))
      const user = await getMeta<Rec>(device, 'user', {})
      device.close()
      await openDevice(account.deviceId, user as unknown as User)
    }
  }
  state.ready = true
  markStarted()
  window.addEventListener('online', () => {
    state.online = true
    autoSync()
  })
  window.addEventListener('offline', () => {
    state.online = false
  })
  timer ??= setInterval(autoSync, PERIOD_MS)
  if (db) autoSync()
}

export class LoginError extends Error {
  /** `code` and `params`: the refusal for the app to say in its words (api/error_codes.py). */
  constructor(
    public status: number,
    message: string,
    public code: string | null = null,
    public params: Record<string, unknown> | null = null,
  ) {
    super(message)
  }
}

/** Whether a device's database still holds what a login left there (its user, its counter). */
async function deviceSurvives(deviceId: string): Promise<boolean> {
  if (!(await Dexie.exists(deviceDbName(deviceId)))) return false
  const device = new DeviceDb(deviceDbName(deviceId))
  try {
    const [user, counter] = await Promise.all([device.meta.get('user'), device.meta.get('nextSeq')])
    return user !== undefined || counter !== undefined
  } finally {
    device.close()
  }
}

/** Log in online (protocol 2). The same user keeps their device id, outbox and counter. */
export async function login(username: string, password: string): Promise<void> {
  const known = await accountsDb().accounts.get(username)
  let deviceId = known?.deviceId ?? crypto.randomUUID()
  if (known && !(await deviceSurvives(known.deviceId))) {
    // The account outlived its database (cleared by hand or in part by the browser): the
    // counter would start again at 1, and the server refuses sequence numbers this device
    // has used. A new device id starts clean; the old one stays in the office's device list.
    if (state.deviceId === known.deviceId) db?.close()
    await Dexie.delete(deviceDbName(known.deviceId))
    deviceId = crypto.randomUUID()
  }
  for (let attempt = 0; attempt < 2; attempt++) {
    const response = await fetch('/api/auth/login', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({
        username,
        password,
        device_id: deviceId,
        device_name: navigator.userAgent.slice(0, 100),
        app_version: APP_VERSION,
      }),
    })
    if (response.status === 409 && attempt === 0) {
      // The id belongs to another user of this phone: a new one for this user, theirs is kept.
      deviceId = crypto.randomUUID()
      continue
    }
    if (!response.ok) {
      const refused = await errorOf(response)
      throw new LoginError(refused.status, refused.detail, refused.code, refused.params)
    }
    const body = (await response.json()) as {
      access_token: string
      refresh_token: string
      refresh_expires_at: string
      user: User
    }
    await accountsDb().accounts.put({
      username,
      deviceId,
      userId: body.user.id,
      displayName: body.user.display_name,
      lastLoginAt: new Date().toISOString(),
    })
    await accountsDb().settings.put({ key: 'current', value: username })
    await openDevice(deviceId, body.user)
    const device = deviceDb()
    await setMeta(device, 'accessToken', body.access_token)
    await setMeta(device, 'refreshToken', body.refresh_token)
    await setMeta(device, 'refreshExpiresAt', body.refresh_expires_at)
    await setMeta(device, 'user', body.user as unknown as Rec)
    await setMeta(device, 'needsLogin', '')
    state.needsLogin = ''
    await keepStorage()
    await syncNow()
    return
  }
}

/** Ask the browser not to evict this site's storage under pressure: the outbox and the photo
 * bytes waiting to upload live there and nowhere else. Best effort: a browser may say no. */
async function keepStorage(): Promise<void> {
  try {
    if (!(await navigator.storage?.persisted?.())) await navigator.storage?.persist?.()
  } catch {
    /* not offered here (an old browser, a test): the data is still kept as long as it can be */
  }
}

let notBefore = 0

/** A sync started by the app itself (start, online, timer, after a change), unless the
 * server asked to wait (503 with Retry-After). */
function autoSync(): void {
  if (Date.now() >= notBefore) void syncNow()
}

/** What a sync asked for came to: `offline` when none was tried (the phone has no signal),
 * `failed` when one was tried and stopped (its error is in `state.lastError`). */
export type SyncOutcome = 'synced' | 'offline' | 'failed' | 'signed-out'

/** Push, upload and pull now; errors are shown, never thrown at the screen. */
export async function syncNow(): Promise<SyncOutcome> {
  if (!engine || !db) return 'signed-out'
  if (!navigator.onLine) {
    state.online = false
    return 'offline'
  }
  state.online = true
  state.syncing = true
  try {
    await engine.sync()
    return 'synced'
  } catch (error) {
    // A LoginRequired has set needsLogin already (the engine's sessionEnded), read below.
    if (error instanceof HttpError && error.retryAfter) notBefore = Date.now() + error.retryAfter * 1000
    return 'failed'
  } finally {
    state.syncing = false
    await refresh()
  }
}

/** Send refused photo bytes once more, now (the sync screen's "Send again"). */
export async function retryRefusedPhoto(sha256: string): Promise<SyncOutcome> {
  if (!db) return 'signed-out'
  await sendAgain(db, sha256)
  await refresh()
  return syncNow()
}

let syncSoonTimer: ReturnType<typeof setTimeout> | null = null
function syncSoon(): void {
  if (syncSoonTimer) clearTimeout(syncSoonTimer)
  syncSoonTimer = setTimeout(() => {
    syncSoonTimer = null
    if (navigator.onLine) autoSync()
  }, 1500)
}

/** Make a change: validate, queue and apply it to the replica at once. A photo's bytes come
 * with its `photo.add` and are kept in the same transaction, or not at all. */
export async function mutate(name: string, args: Args, photo?: { sha256: string; bytes: Blob }): Promise<string> {
  const device = deviceDb()
  const full = withBase(view.value, name, args)
  validate(name, full)
  validateOnReplica(view.value, name, full)
  const jobId = jobOf(view.value, name, full)
  const entry = photo ? await enqueueWithBytes(device, name, full, jobId, photo) : await enqueue(device, name, full, jobId)
  if (photo) state.uploadsWaiting += 1
  applyLocally(view.value, name, entry.args, entry.at) // as queued (text cleaned), as it will be sent
  triggerRef(view)
  state.pending += 1
  if (entry.jobId) state.pendingByJob = { ...state.pendingByJob, [entry.jobId]: (state.pendingByJob[entry.jobId] ?? 0) + 1 }
  syncSoon()
  return entry.id
}

export async function blobUrl(sha256: string): Promise<string | null> {
  const entry = await db?.blobs.get(sha256)
  return entry ? URL.createObjectURL(entry.bytes) : null
}

/** Sign out: push first; refuse while changes or photo bytes remain unsent unless forced. */
export async function logout(force = false): Promise<boolean> {
  if (!db) return true
  await syncNow()
  // A photo's record may be synced while its bytes still wait (weak signal): they stay only
  // in this user's database on this phone, so they count as unsent too. Bytes whose record
  // was refused do not: no record on the server will ever need them.
  if ((state.pending > 0 || state.uploadsWaiting > 0) && !force) return false
  try {
    await engine?.call('POST', '/api/auth/logout')
  } catch {
    /* offline: the tokens are forgotten below anyway */
  }
  await setMeta(db, 'accessToken', '')
  await setMeta(db, 'refreshToken', '')
  await accountsDb().settings.delete('current')
  db.close()
  db = null
  engine = null
  state.user = null
  view.value = new Map()
  return true
}

export function stopTimers(): void {
  if (timer) clearInterval(timer)
  timer = null
}

/** An authenticated GET (online only), e.g. the job's reports; refreshes the token once. */
export async function apiGet(path: string): Promise<Response> {
  if (!engine) throw new Error('no session')
  return engine.call('GET', path)
}
