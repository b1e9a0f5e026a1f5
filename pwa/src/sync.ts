// The flusher and the pull loop (sync protocol 4 and 9). One sync at a time per device.
// No HTTP error ever drops a queued mutation: only a 200 push answer removes entries.
import { sha256Hex } from './canonical'
import { getMeta, setMeta, type BlobEntry, type DeviceDb, type Json, type StoredRecord } from './db'
import { JOB_CHILD_ENTITIES } from './mutators'
import { ack, envelope, noteAttempt, peek, type PushResult } from './outbox'

export const APP_VERSION = 'pwa/0.1.0'
export const PUSH_BATCH = 200
const CHUNK = 1024 * 1024
/** Hashes per POST /api/uploads/missing: the server takes at most 1000 (docs/media.md). */
const MISSING_BATCH = 1000

export class HttpError extends Error {
  constructor(
    public status: number,
    public detail: string,
    public retryAfter: number | null = null,
    /** The error answer's code and its values (api/error_codes.py), for the app's words. */
    public code: string | null = null,
    public params: Record<string, unknown> | null = null,
  ) {
    super(`${status} ${detail}`)
  }
}

/** What kind of failure stopped a sync, for the engineer to be told in the app's words
 * (`syncErrorText` in i18n.ts): `network` (no answer at all: no signal, the server down), the
 * server's error code (`busy`, `too_many`, ...), `server_error` (another 5xx), `login`; `''`
 * for anything else, which is shown as it was said. */
export function errorKind(error: unknown): string {
  if (error instanceof LoginRequired) return 'login'
  if (error instanceof HttpError) return error.code ?? (error.status >= 500 ? 'server_error' : '')
  // fetch() rejects with a TypeError when no answer came ("Failed to fetch", "Load failed").
  if (error instanceof TypeError) return 'network'
  return ''
}

/** The session needs a login with the same device id; the outbox is kept. */
export class LoginRequired extends Error {}

export interface PullItem {
  entity: string
  id: string
  op: 'upsert' | 'delete'
  data?: Record<string, Json> | null
  seq?: number
}

export interface Transport {
  fetch: typeof fetch
  base: string
}

export interface SyncReport {
  pushed: number
  rejected: number
  conflicts: number
  pulled: number
  uploaded: number
}

/** An error answer as an HttpError: its detail (else the status text), code and values. */
export async function errorOf(response: Response): Promise<HttpError> {
  let detail = response.statusText
  let code: string | null = null
  let params: Record<string, unknown> | null = null
  try {
    const body = (await response.json()) as { detail?: string; code?: unknown; params?: unknown }
    if (body?.detail) detail = body.detail
    if (typeof body?.code === 'string') code = body.code
    if (typeof body?.params === 'object' && body.params !== null) params = body.params as Record<string, unknown>
  } catch {
    /* not JSON */
  }
  const retry = Number(response.headers.get('Retry-After'))
  return new HttpError(response.status, detail, Number.isFinite(retry) && retry > 0 ? retry : null, code, params)
}

export class SyncEngine {
  private running: Promise<SyncReport> | null = null
  private followUp: Promise<SyncReport> | null = null

  constructor(
    public db: DeviceDb,
    public deviceId: string,
    public transport: Transport,
  ) {}

  // ---- HTTP with the device's tokens -------------------------------------------------------

  /** A request with the access token; on 401, refresh once and retry; LoginRequired if that fails. */
  async call(method: string, path: string, body?: BodyInit | object, contentType = 'application/json'): Promise<Response> {
    const session = await getMeta<string>(this.db, 'refreshToken', '')
    for (let attempt = 0; attempt < 2; attempt++) {
      const token = await getMeta<string>(this.db, 'accessToken', '')
      if (!token) {
        await this.refresh()
        continue
      }
      const init: RequestInit = { method, headers: { Authorization: `Bearer ${token}` } }
      if (body !== undefined) {
        const raw = body instanceof Blob || body instanceof ArrayBuffer || typeof body === 'string'
        init.body = raw ? (body as BodyInit) : JSON.stringify(body)
        ;(init.headers as Record<string, string>)['Content-Type'] = raw ? contentType : 'application/json'
      }
      const response = await this.transport.fetch(this.transport.base + path, init)
      if (response.status === 401 && attempt === 0) {
        await this.refresh()
        continue
      }
      if (response.status === 401) return this.sessionEnded(session, (await errorOf(response)).detail)
      return response
    }
    return this.sessionEnded(session, 'login required')
  }

  /** The server refused the session made with refresh token `since`: the app asks for a login
   * (`needsLogin`: only the engine sets it, a login clears it), unless a login since has replaced
   * that session, which is then left alone. Throws LoginRequired either way: the call was not
   * served. Any call's refusal ends the session this way (a sync's, a photo's, the logout's). */
  private async sessionEnded(since: string, reason: string): Promise<never> {
    if ((await getMeta<string>(this.db, 'refreshToken', '')) === since) {
      await setMeta(this.db, 'accessToken', '')
      await setMeta(this.db, 'needsLogin', reason)
    }
    throw new LoginRequired(reason)
  }

  /** Ask for a new access token with the kept refresh token (protocol 2, "Refresh"). */
  async refresh(): Promise<void> {
    const refreshToken = await getMeta<string>(this.db, 'refreshToken', '')
    if (!refreshToken) return this.sessionEnded(refreshToken, 'login required')
    const response = await this.transport.fetch(this.transport.base + '/api/auth/refresh', {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ refresh_token: refreshToken, device_id: this.deviceId }),
    })
    if (response.status === 401) {
      // A login while this refresh was out (the engineer signed in again after the office
      // signed the phone out) replaced the tokens: the refusal is of the old ones. Leave the
      // new session alone; the caller tries again with its token.
      if ((await getMeta<string>(this.db, 'refreshToken', '')) !== refreshToken) return
      return this.sessionEnded(refreshToken, (await errorOf(response)).detail)
    }
    if (!response.ok) throw await errorOf(response)
    const body = (await response.json()) as { access_token: string; refresh_expires_at: string }
    await setMeta(this.db, 'accessToken', body.access_token)
    await setMeta(this.db, 'refreshExpiresAt', body.refresh_expires_at)
  }

  // ---- one sync: push everything, upload photo bytes, pull ---------------------------------

  /** Run a sync, or join the one already running (and then sync once more if changes wait). */
  sync(): Promise<SyncReport> {
    if (this.running) {
      // The running sync may have pushed already: a change queued since would wait for the
      // next timer. Once it ends well, sync again if the outbox holds anything.
      this.followUp ??= this.running.then(
        async (report) => {
          this.followUp = null
          return (await this.db.outbox.count()) > 0 ? this.sync() : report
        },
        (error: unknown) => {
          this.followUp = null
          throw error
        },
      )
      return this.followUp
    }
    // One push at a time per device, across the app's open tabs too (Web Locks).
    const locks = typeof navigator !== 'undefined' ? navigator.locks : undefined
    const work = locks
      ? (locks.request(`fieldsync-sync-${this.deviceId}`, () => this.run()) as Promise<SyncReport>)
      : this.run()
    const running = work.finally(() => {
      this.running = null
    })
    this.running = running
    return running
  }

  private async run(): Promise<SyncReport> {
    const report: SyncReport = { pushed: 0, rejected: 0, conflicts: 0, pulled: 0, uploaded: 0 }
    try {
      await this.pushAll(report)
      let uploadError: unknown = null
      try {
        report.uploaded = await this.uploadBlobs()
      } catch (error) {
        // The photos wait for the next sync; the office's changes need not wait with them.
        if (error instanceof LoginRequired) throw error
        uploadError = error
      }
      report.pulled = await this.pull()
      await setMeta(this.db, 'lastSyncAt', new Date().toISOString())
      if (uploadError !== null) throw uploadError // shown as the sync's error, after the pull
      await setMeta(this.db, 'lastError', '')
      await setMeta(this.db, 'lastErrorKind', '')
      return report
    } catch (error) {
      const message = error instanceof Error ? error.message : String(error)
      await setMeta(this.db, 'lastError', message)
      await setMeta(this.db, 'lastErrorKind', errorKind(error))
      throw error
    }
  }

  /** Push the outbox oldest first, one push at a time, until empty or no progress. */
  async pushAll(report: SyncReport): Promise<void> {
    for (;;) {
      const batch = await peek(this.db, PUSH_BATCH)
      if (batch.length === 0) return
      let response: Response
      try {
        response = await this.call('POST', '/api/sync/push', {
          protocol: 1,
          app_version: APP_VERSION,
          device_id: this.deviceId,
          sent_at: new Date().toISOString(),
          mutations: batch.map(envelope),
        })
      } catch (error) {
        await noteAttempt(this.db, batch.map((e) => e.seq), error instanceof Error ? error.message : String(error))
        throw error
      }
      if (response.status !== 200) {
        const error = await errorOf(response)
        await noteAttempt(this.db, batch.map((e) => e.seq), error.message)
        throw error
      }
      const answer = (await response.json()) as { results: PushResult[]; clock_skewed?: boolean; clock_offset_ms?: number }
      await ack(this.db, answer.results)
      await setMeta(this.db, 'clockSkewed', Boolean(answer.clock_skewed))
      await setMeta(this.db, 'clockOffsetMs', answer.clock_offset_ms ?? 0)
      report.pushed += answer.results.length
      report.rejected += answer.results.filter((r) => r.status === 'rejected').length
      report.conflicts += answer.results.filter((r) => r.status === 'conflict').length
      const answered = new Set(answer.results.map((r) => r.id))
      if (!batch.some((e) => answered.has(e.id))) return
    }
  }

  /** Pull every page from the stored cursor; apply items, evictions and the cursor together. */
  async pull(limit = 500): Promise<number> {
    const answeredBefore = await this.db.acked.toCollection().primaryKeys()
    let count = 0
    let resyncs = 0
    for (;;) {
      const cursor = await getMeta<string>(this.db, 'cursor', '')
      const query = new URLSearchParams({ limit: String(limit), app_version: APP_VERSION, protocol: '1' })
      if (cursor) query.set('cursor', cursor)
      const response = await this.call('GET', `/api/sync/pull?${query}`)
      if (response.status === 400 && cursor) {
        // A cursor this server did not make (a restored database): prime again as after a
        // resync, records and cursor dropped together, the outbox kept. Priming sends no
        // evictions, so records kept from before could never leave the phone. Any other 400
        // (a proxy's, say) leaves the replica alone.
        const error = await errorOf(response)
        if (!/cursor/i.test(error.detail)) throw error
        resyncs++
        if (resyncs > 2) throw error
        await this.dropReplica()
        continue
      }
      if (!response.ok) throw await errorOf(response)
      const page = (await response.json()) as {
        cursor: string
        has_more: boolean
        items: PullItem[]
        evictions: string[]
        resync: boolean
      }
      if (page.resync) {
        resyncs++
        if (resyncs > 2) throw new HttpError(409, 'the server keeps asking for a resync')
        await this.dropReplica()
        continue
      }
      await this.applyPage(page.items, page.evictions, page.cursor)
      count += page.items.length
      if (!page.has_more) break
    }
    await this.db.acked.bulkDelete(answeredBefore)
    return count
  }

  /** Forget every record and the cursor in one step (a resync); the outbox stays. */
  private async dropReplica(): Promise<void> {
    await this.db.transaction('rw', this.db.records, this.db.meta, async () => {
      await this.db.records.clear()
      await this.db.meta.put({ key: 'cursor', value: '' })
    })
  }

  async applyPage(items: PullItem[], evictions: string[], cursor: string): Promise<void> {
    await this.db.transaction('rw', this.db.records, this.db.meta, async () => {
      const puts: StoredRecord[] = []
      for (const item of items) {
        if (item.op === 'delete') {
          await this.db.records.delete([item.entity, item.id])
        } else if (item.data) {
          const jobId = typeof item.data.job_id === 'string' ? item.data.job_id : null
          puts.push({ entity: item.entity, id: item.id, job_id: jobId, data: item.data })
        }
      }
      // A job the office filed under another customer: the old customer's file may now serve
      // no job on the phone, and goes as it would after an eviction.
      const jobPuts = puts.filter((p) => p.entity === 'jobs')
      const held = await this.db.records.bulkGet(jobPuts.map((p) => ['jobs', p.id] as [string, string]))
      const moved = held.some((h, i) => h !== undefined && h.data.customer_id !== jobPuts[i].data.customer_id)
      await this.db.records.bulkPut(puts)
      for (const jobId of evictions) {
        await this.db.records.delete(['jobs', jobId])
        const children = await this.db.records.where('job_id').equals(jobId).toArray()
        const drop = children.filter((r) => (JOB_CHILD_ENTITIES as readonly string[]).includes(r.entity))
        await this.db.records.bulkDelete(drop.map((r) => [r.entity, r.id] as [string, string]))
      }
      if (evictions.length > 0 || moved) await pruneFiles(this.db)
      await this.db.meta.put({ key: 'cursor', value: cursor })
    })
    if (evictions.length > 0) await pruneBlobs(this.db)
  }

  // ---- photo bytes, resumable, after their records (docs/media.md) -------------------------

  /** Upload the bytes of photos whose photo.add the server has answered; returns how many.
   * Bytes whose record the server refused are not sent: nothing on the server names them. */
  async uploadBlobs(): Promise<number> {
    // `recordQueued`: bytes whose photo.add still waits in the outbox go after their record.
    const { waiting, recordQueued } = await unsentBlobs(this.db)
    if (waiting.length === 0) return 0
    const ready = waiting.filter((b) => !recordQueued.has(b.sha256))
    if (ready.length === 0) return 0
    const missing = new Set<string>()
    for (let i = 0; i < ready.length; i += MISSING_BATCH) {
      const hashes = ready.slice(i, i + MISSING_BATCH).map((b) => b.sha256)
      const missingResponse = await this.call('POST', '/api/uploads/missing', { hashes })
      if (!missingResponse.ok) throw await errorOf(missingResponse)
      for (const sha of ((await missingResponse.json()) as { missing: string[] }).missing) missing.add(sha)
    }
    let done = 0
    for (const blob of ready) {
      if (!missing.has(blob.sha256)) {
        await this.db.blobs.update(blob.sha256, { uploaded: 1, lastError: '' })
        done++
        continue
      }
      try {
        await this.uploadOne(blob)
        await this.db.blobs.update(blob.sha256, { uploaded: 1, lastError: '' })
        done++
      } catch (error) {
        if (error instanceof LoginRequired) throw error
        const message = error instanceof Error ? error.message : String(error)
        if (error instanceof HttpError && error.status === 422 && (await refusedForGood(blob, error))) {
          // Sent again they would be refused again, at every sync, and counted as unsent work
          // for ever. Kept on the phone and shown to the engineer instead.
          await this.db.blobs.update(blob.sha256, { lastError: message, refused: error.detail || message })
          continue
        }
        // An interrupted upload never blocks the rest; it is retried at the next sync.
        await this.db.blobs.update(blob.sha256, { lastError: message })
      }
    }
    return done
  }

  private async uploadOne(blob: BlobEntry): Promise<void> {
    const start = await this.call('POST', '/api/uploads', { sha256: blob.sha256, size: blob.size, purpose: 'photo' })
    if (!start.ok) throw await errorOf(start)
    let state = (await start.json()) as { id: string | null; offset: number; complete: boolean; chunk_size?: number }
    const chunk = state.chunk_size ?? CHUNK
    while (!state.complete && state.id && state.offset < blob.size) {
      const piece = blob.bytes.slice(state.offset, Math.min(blob.size, state.offset + chunk))
      const put = await this.call('PUT', `/api/uploads/${state.id}?offset=${state.offset}`, piece, 'application/octet-stream')
      if (put.status === 409) {
        const again = await this.call('GET', `/api/uploads/${state.id}`)
        if (!again.ok) throw await errorOf(put)
        state = await again.json()
        continue
      }
      if (!put.ok) throw await errorOf(put)
      state = await put.json()
    }
    if (state.complete || !state.id) return
    const complete = await this.call('POST', `/api/uploads/${state.id}/complete`)
    if (!complete.ok) throw await errorOf(complete)
  }
}

/** Whether a 422 on an upload is for good: an image the server does not take, or bytes this
 * phone holds damaged (they no longer have their hash). Bytes that left the phone whole but
 * arrived otherwise (the server says they do not match their SHA-256, and they still do here)
 * were damaged on the way: the next sync sends them again. */
async function refusedForGood(blob: BlobEntry, error: HttpError): Promise<boolean> {
  if (!/SHA-256/i.test(error.detail)) return true
  return (await sha256Hex(await blob.bytes.arrayBuffer())) !== blob.sha256
}

/** Try refused photo bytes again at the next sync (the engineer asked: the server may take
 * them now, after an update). Refused again, they return to the refused list. */
export async function sendAgain(db: DeviceDb, sha256: string): Promise<void> {
  await db.blobs.update(sha256, { refused: '', lastError: '' })
}

const CUSTOMER_FILE = ['contacts', 'sites', 'assets'] as const

/** The photo hashes this phone's records and mutations name: `live` by a photo record, a
 * queued mutation or one the server answered (a record that is or will be on the server),
 * `refused` by a mutation the server refused (kept in `failed`). Read in the caller's
 * transaction, which must cover records, outbox, acked and failed. */
async function blobNames(db: DeviceDb): Promise<{ live: Set<string>; refused: Set<string>; queued: Set<string> }> {
  const live = new Set<string>()
  const refused = new Set<string>()
  const queued = new Set<string>()
  for (const photo of await db.records.where('entity').equals('photos').toArray()) live.add(String(photo.data.blob_sha256))
  for (const [table, names] of [[db.outbox, queued], [db.acked, live], [db.failed, refused]] as const) {
    for (const entry of await table.toArray()) {
      if (typeof entry.args.blob_sha256 === 'string') names.add(entry.args.blob_sha256)
    }
  }
  for (const sha of queued) live.add(sha)
  return { live, refused, queued }
}

/**
 * The photo bytes not yet uploaded: `waiting` for the server (unsent work); `detached`, whose
 * only record the server refused; and `refused`, whose bytes the server refused for good (422).
 * Detached and refused bytes are kept on the phone, but the server will never take them: they
 * are not uploaded, not counted as unsent and do not hold up a sign-out. Bytes that no record
 * or mutation names at all stay `waiting`: they may belong to a photo the server holds whose
 * job has left the phone (an eviction) before its bytes went, and the server still needs them.
 */
export async function unsentBlobs(
  db: DeviceDb,
): Promise<{ waiting: BlobEntry[]; detached: BlobEntry[]; refused: BlobEntry[]; recordQueued: Set<string> }> {
  return db.transaction('r', [db.records, db.outbox, db.acked, db.failed, db.blobs], async () => {
    const unsent = await db.blobs.where('uploaded').equals(0).toArray()
    if (unsent.length === 0) return { waiting: [], detached: [], refused: [], recordQueued: new Set<string>() }
    const names = await blobNames(db)
    const isDetached = (b: BlobEntry) => names.refused.has(b.sha256) && !names.live.has(b.sha256)
    const isRefused = (b: BlobEntry) => !isDetached(b) && !!b.refused
    return {
      waiting: unsent.filter((b) => !isDetached(b) && !isRefused(b)),
      detached: unsent.filter(isDetached),
      refused: unsent.filter(isRefused),
      recordQueued: names.queued,
    }
  })
}

/** Drop photo bytes already uploaded that no photo the phone still holds or still sends names
 * (after evictions: a job reassigned or closed takes its photos with it). Photos are the bulk
 * of what a phone stores; kept for every job ever done they would fill it. Bytes not yet
 * uploaded are never dropped: they exist nowhere else. Returns how many went. */
export async function pruneBlobs(db: DeviceDb): Promise<number> {
  return db.transaction('rw', [db.records, db.outbox, db.acked, db.failed, db.blobs], async () => {
    const { live, refused } = await blobNames(db)
    const unused = await db.blobs
      .where('uploaded')
      .equals(1)
      .filter((blob) => !live.has(blob.sha256) && !refused.has(blob.sha256))
      .primaryKeys()
    await db.blobs.bulkDelete(unused)
    return unused.length
  })
}

/** Drop the customers' files that no job left on the phone needs (protocol 9.4): the server
 * stops sending their changes with the last such job, so what stayed would only grow stale
 * (and keep other customers' names and numbers on the phone). As `prune_files` in
 * sync/client.py: afterwards the phone holds what a new device of the engineer primes. */
export async function pruneFiles(db: DeviceDb): Promise<void> {
  const jobs = await db.records.where('entity').equals('jobs').toArray()
  const customers = new Set(jobs.map((j) => j.data.customer_id))
  const unused = await db.records
    .where('entity')
    .anyOf(['customers', ...CUSTOMER_FILE])
    .filter((r) => !customers.has(r.entity === 'customers' ? r.id : r.data.customer_id))
    .primaryKeys()
  await db.records.bulkDelete(unused)
  const assets = new Set(await db.records.where('entity').equals('assets').primaryKeys().then((keys) => keys.map((k) => k[1])))
  const orphans = await db.records
    .where('entity')
    .equals('visits')
    .filter((r) => !assets.has(String(r.data.asset_id)))
    .primaryKeys()
  await db.records.bulkDelete(orphans)
}
