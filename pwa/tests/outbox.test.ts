import 'fake-indexeddb/auto'
import { afterEach, beforeEach, describe, expect, it, vi } from 'vitest'
import { DeviceDb, getMeta, setMeta, type StoredRecord } from '../src/db'
import { ack, enqueue, enqueueWithBytes, peek, rebase } from '../src/outbox'
import { sha256Hex } from '../src/canonical'
import { HttpError, LoginRequired, SyncEngine, sendAgain, unsentBlobs } from '../src/sync'

const JOB = '01a21961-6594-728d-a6fe-61e3a96f3413'
const DEVICE = 'eae0fb0c-f3a2-46ff-b345-1fe9813f020e'
let db: DeviceDb
let n = 0

beforeEach(async () => {
  db = new DeviceDb(`test-${n++}`)
  await db.open()
  await db.records.put({ entity: 'jobs', id: JOB, job_id: null, data: { id: JOB, status: 'assigned', diagnosis: '' } })
  await setMeta(db, 'accessToken', 'token')
  await setMeta(db, 'refreshToken', 'refresh')
})
afterEach(async () => {
  db.close()
})

const record = (text: string) => enqueue(db, 'job.record', { job_id: JOB, fields: { diagnosis: text }, base: { diagnosis: '' } }, JOB)

function json(status: number, body: unknown, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json', ...headers } })
}

const emptyPull = { protocol: 1, server_time: '', cursor: 'c1', has_more: false, items: [], evictions: [], resync: false }

describe('the outbox', () => {
  it('keeps the job number with refused work, for a job the next pull takes off the phone', async () => {
    await db.records.put({ entity: 'jobs', id: JOB, job_id: null, data: { id: JOB, number: 'FS-2026-000074' } })
    const a = await record('A')
    const orphan = await enqueue(db, 'note.add', { id: 'n9', job_id: 'gone', body: 'x' }, 'gone')
    await ack(db, [
      { id: a.id, seq: a.seq, status: 'rejected', reason: 'reassigned', code: 'reassigned', conflicts: [] },
      { id: orphan.id, seq: orphan.seq, status: 'rejected', reason: 'unknown job', conflicts: [] },
    ] as never)
    const failed = await db.failed.toArray()
    expect(failed.map((f) => [f.jobId, f.jobNumber])).toEqual([[JOB, 'FS-2026-000074'], ['gone', undefined]])
  })

  it('numbers mutations 1, 2, 3 per device and keeps them in seq order', async () => {
    const a = await record('A')
    const b = await record('B')
    const c = await record('C')
    expect([a.seq, b.seq, c.seq]).toEqual([1, 2, 3])
    expect(new Set([a.id, b.id, c.id]).size).toBe(3)
    expect(a.at).toMatch(/Z$/)
    expect((await peek(db, 2)).map((e) => e.seq)).toEqual([1, 2])
    expect(await getMeta(db, 'nextSeq', 0)).toBe(4)
  })

  it('queues text cut inside an emoji with the lost half replaced, so the server can decode it', async () => {
    const cut = '更换完成👍'.slice(0, 5) // the high half of 👍 is left at the end
    const entry = await enqueue(db, 'note.add', { id: 'n1', job_id: JOB, body: cut, tags: [cut, '完整👍'] }, JOB)
    expect(JSON.stringify(cut)).toMatch(/\\ud83d/) // what the server refused
    expect(JSON.stringify(entry.args)).not.toMatch(/\\ud8/)
    expect(entry.args.body).toBe('更换完成\uFFFD')
    expect(entry.args.tags).toEqual(['更换完成\uFFFD', '完整👍'])
    expect((await db.outbox.get(entry.seq))!.args.body).toBe('更换完成\uFFFD')
  })

  it('queues text holding a NUL with it replaced, since the server refuses any NUL in args', async () => {
    // Pasted from a scanner or another app: invisible on screen, and the server answers
    // "text may not contain NUL characters" (sync/wire.py decode_args), so the note is lost.
    const pasted = 'SN-2231\u0000'
    const entry = await enqueue(db, 'note.add', { id: 'n1', job_id: JOB, body: pasted, extra: { ['k\u0000']: [pasted] } }, JOB)
    expect(JSON.stringify(entry.args)).not.toMatch(/\\u0000/)
    expect(entry.args.body).toBe('SN-2231\uFFFD')
    expect((await db.outbox.get(entry.seq))!.args.body).toBe('SN-2231\uFFFD')
  })

  it('an entry queued by an older version with a cut emoji is sent cleaned, not refused for ever', async () => {
    const cut = '更换完成👍'.slice(0, 5)
    await db.outbox.put({ seq: 1, id: 'm1', name: 'note.add', at: new Date().toISOString(), args: { id: 'n1', job_id: JOB, body: cut }, jobId: JOB, attempts: 0, lastError: '' })
    await setMeta(db, 'nextSeq', 2)
    const sent: string[] = []
    const fetch = vi.fn(async (_url: string, init?: RequestInit) => {
      const body = String(init?.body)
      sent.push(body)
      if (/\\ud8/i.test(body)) return json(400, { detail: 'Input data was truncated' }) // as the server refuses it
      const mutations = (JSON.parse(body) as { mutations: { id: string; seq: number }[] }).mutations
      return json(200, { results: mutations.map((m) => ({ id: m.id, seq: m.seq, status: 'applied' })) })
    })
    await new SyncEngine(db, DEVICE, { fetch: fetch as never, base: '' }).pushAll({ pushed: 0, rejected: 0, conflicts: 0, pulled: 0, uploaded: 0 })
    expect(await db.outbox.count()).toBe(0)
    expect(JSON.parse(sent[0]).mutations[0]).toMatchObject({ id: 'm1', seq: 1, args: { body: '更换完成\uFFFD' } })
  })

  it('a change queued after a running sync pushed is pushed by a second sync right after it', async () => {
    await record('A')
    let release: () => void = () => {}
    const held = new Promise<void>((resolve) => (release = resolve))
    const pushed: number[][] = []
    let pulls = 0
    const fetch = vi.fn(async (url: string, init?: RequestInit) => {
      if (url.includes('/api/sync/pull')) {
        if (++pulls === 1) await held // the first pull is slow: the engineer keeps working
        return json(200, emptyPull)
      }
      const mutations = (JSON.parse(String(init?.body)) as { mutations: { id: string; seq: number }[] }).mutations
      pushed.push(mutations.map((m) => m.seq))
      return json(200, { results: mutations.map((m) => ({ id: m.id, seq: m.seq, status: 'applied' })) })
    })
    const engine = new SyncEngine(db, DEVICE, { fetch: fetch as never, base: '' })
    const first = engine.sync()
    await vi.waitFor(() => expect(pulls).toBe(1)) // pushed already, pulling
    await record('B')
    const joined = engine.sync()
    release()
    await first
    await joined
    expect(pushed).toEqual([[1], [2]])
    expect(await db.outbox.count()).toBe(0)
  })

  it('a 400 that is not about the cursor leaves the replica alone', async () => {
    await setMeta(db, 'cursor', 'c0')
    const fetch = vi.fn(async () => json(400, { detail: 'request header too large' }))
    await expect(new SyncEngine(db, DEVICE, { fetch: fetch as never, base: '' }).pull()).rejects.toThrow(/header too large/)
    expect(await db.records.count()).toBe(1)
    expect(await getMeta(db, 'cursor', '')).toBe('c0')
  })

  it('acks by id: answered entries leave, unanswered stay, refused go to failed with the reason', async () => {
    const a = await record('A')
    const b = await record('B')
    const c = await record('C')
    await ack(db, [
      { id: a.id, seq: 1, status: 'applied' },
      { id: c.id, seq: 3, status: 'rejected', reason: 'unknown job, or not assigned to you' },
    ])
    expect((await db.outbox.toArray()).map((e) => e.id)).toEqual([b.id])
    const failed = await db.failed.toArray()
    expect(failed).toHaveLength(1)
    expect(failed[0]).toMatchObject({ id: c.id, seq: 3, reason: 'unknown job, or not assigned to you' })
    expect((await db.acked.toArray()).map((e) => e.id)).toEqual([a.id])
  })

  it('rebases: server records with the answered and queued mutations re-applied in seq order', async () => {
    const a = await record('A')
    await record('B')
    await ack(db, [{ id: a.id, seq: 1, status: 'applied' }])
    await db.records.put({ entity: 'jobs', id: JOB, job_id: null, data: { id: JOB, status: 'on_site', diagnosis: 'server' } })
    const view = await rebase(db)
    expect(view.get(`jobs:${JOB}`)).toMatchObject({ status: 'on_site', diagnosis: 'B' })
  })

  it('a schema upgrade keeps every store and queued entry', async () => {
    await record('A')
    const name = db.name
    db.close()
    const next = new (class extends DeviceDb {
      constructor() {
        super(name)
        this.version(2).stores({ extra: 'id' })
      }
    })()
    await next.open()
    expect(await next.outbox.count()).toBe(1)
    next.close()
  })
})

describe('the flusher', () => {
  it('drops nothing on HTTP errors and retries the same ids and seqs', async () => {
    await record('A')
    await record('B')
    const sent: { id: string; seq: number }[][] = []
    const statuses = [500, 503, 400, 413]
    const fetch = vi.fn(async (url: string, init?: RequestInit) => {
      if (url.includes('/api/sync/push')) {
        sent.push(JSON.parse(String(init!.body)).mutations)
        return json(statuses[sent.length - 1] ?? 500, { detail: 'boom' }, { 'Retry-After': '5' })
      }
      return json(200, emptyPull)
    })
    const engine = new SyncEngine(db, DEVICE, { fetch: fetch as never, base: '' })
    for (let i = 0; i < 4; i++) await expect(engine.sync()).rejects.toThrow()
    expect(await db.outbox.count()).toBe(2)
    expect(sent.map((batch) => batch.map((m) => `${m.seq}:${m.id}`))).toEqual(Array(4).fill(sent[0].map((m) => `${m.seq}:${m.id}`)))
    expect((await db.outbox.get(1))!.attempts).toBe(4)
  })

  it('pushes, keeps a refused one visible, then pulls and stores the cursor', async () => {
    const a = await record('A')
    const b = await record('B')
    const fetch = vi.fn(async (url: string, init?: RequestInit) => {
      if (url.includes('/api/sync/push')) {
        const body = JSON.parse(String(init!.body))
        expect(body.device_id).toBe(DEVICE)
        expect(body.mutations.map((m: { seq: number }) => m.seq)).toEqual([1, 2])
        return json(200, { results: [{ id: a.id, seq: 1, status: 'applied' }, { id: b.id, seq: 2, status: 'rejected', reason: 'no' }] })
      }
      return json(200, {
        ...emptyPull,
        items: [{ entity: 'jobs', id: JOB, op: 'upsert', data: { id: JOB, status: 'assigned', diagnosis: 'A' } }],
      })
    })
    const engine = new SyncEngine(db, DEVICE, { fetch: fetch as never, base: '' })
    const report = await engine.sync()
    expect(report).toMatchObject({ pushed: 2, rejected: 1 })
    expect(await db.outbox.count()).toBe(0)
    expect(await db.acked.count()).toBe(0)
    expect((await db.failed.toArray())[0].reason).toBe('no')
    expect(await getMeta(db, 'cursor', '')).toBe('c1')
    expect((await rebase(db)).get(`jobs:${JOB}`)!.diagnosis).toBe('A')
  })

  it("lets the old customer's file go when the office files its last job here under another", async () => {
    const [OLD, NEW] = ['c-old', 'c-new']
    await db.records.bulkPut([
      { entity: 'jobs', id: JOB, job_id: null, data: { id: JOB, status: 'assigned', customer_id: OLD } },
      { entity: 'customers', id: OLD, job_id: null, data: { id: OLD, name: '错的客户' } },
      { entity: 'assets', id: 'a-old', job_id: null, data: { id: 'a-old', customer_id: OLD } },
    ])
    const pull = {
      ...emptyPull,
      items: [
        { entity: 'customers', id: NEW, op: 'upsert', data: { id: NEW, name: '对的客户' } },
        { entity: 'jobs', id: JOB, op: 'upsert', data: { id: JOB, status: 'assigned', customer_id: NEW } },
      ],
    }
    const fetch = vi.fn(async () => json(200, pull))
    await new SyncEngine(db, DEVICE, { fetch: fetch as never, base: '' }).pull()
    const left = (await db.records.toArray()).map((r) => `${r.entity}:${r.id}`).sort()
    expect(left).toEqual([`customers:${NEW}`, `jobs:${JOB}`])
  })

  it('on 401 refreshes once; when refresh is refused it asks for a login and keeps the outbox', async () => {
    await record('A')
    const fetch = vi.fn(async (url: string) => {
      if (url.includes('/api/auth/refresh')) return json(401, { detail: 'this device was signed out; log in again' })
      return json(401, { detail: 'access token expired' })
    })
    const engine = new SyncEngine(db, DEVICE, { fetch: fetch as never, base: '' })
    await expect(engine.sync()).rejects.toThrow(/log in again/)
    expect(await db.outbox.count()).toBe(1)
    expect(await getMeta(db, 'needsLogin', '')).toMatch(/signed out/)
  })

  it('says what kind of failure stopped a sync: no answer, a coded refusal, and clears it when one succeeds', async () => {
    await record('A')
    let answer: () => Promise<Response> = async () => {
      throw new TypeError('Failed to fetch')
    }
    const fetch = vi.fn(async (url: string) => (url.includes('/api/sync/pull') ? json(200, emptyPull) : answer()))
    const engine = new SyncEngine(db, DEVICE, { fetch: fetch as never, base: '' })
    await expect(engine.sync()).rejects.toBeInstanceOf(TypeError)
    expect([await getMeta(db, 'lastError', ''), await getMeta(db, 'lastErrorKind', '')]).toEqual(['Failed to fetch', 'network'])
    answer = async () => json(503, { detail: 'the database is busy; try again in a few seconds', code: 'busy' })
    await expect(engine.sync()).rejects.toBeInstanceOf(HttpError)
    expect(await getMeta(db, 'lastErrorKind', '')).toBe('busy')
    expect(await db.outbox.count()).toBe(1) // nothing dropped
    answer = async () => json(200, { results: [] })
    await db.outbox.clear()
    await engine.sync()
    expect([await getMeta(db, 'lastError', 'x'), await getMeta(db, 'lastErrorKind', 'x')]).toEqual(['', ''])
  })

  it('asks for a login itself when the call is refused again after a refresh, or there is no session', async () => {
    await record('A')
    const fetch = vi.fn(async (url: string) => {
      if (url.includes('/api/auth/refresh')) return json(200, { access_token: 'fresh', refresh_expires_at: '2099-01-01T00:00:00Z' })
      return json(401, { detail: 'the account is disabled' })
    })
    const engine = new SyncEngine(db, DEVICE, { fetch: fetch as never, base: '' })
    await expect(engine.sync()).rejects.toBeInstanceOf(LoginRequired)
    expect(await getMeta(db, 'needsLogin', '')).toBe('the account is disabled')
    expect(await getMeta(db, 'accessToken', '')).toBe('')
    expect(await db.outbox.count()).toBe(1)

    await setMeta(db, 'needsLogin', '')
    await setMeta(db, 'refreshToken', '')
    await expect(engine.sync()).rejects.toBeInstanceOf(LoginRequired)
    expect(await getMeta(db, 'needsLogin', '')).toBe('login required')
  })

  it('a refusal of the old session that arrives after a new login leaves the new session alone', async () => {
    await record('A')
    await setMeta(db, 'accessToken', '')
    const used: string[] = []
    const fetch = vi.fn(async (url: string, init?: RequestInit) => {
      if (url.includes('/api/auth/refresh')) {
        // The engineer signs in again while the old session's refresh is on its way.
        await setMeta(db, 'accessToken', 'new-access')
        await setMeta(db, 'refreshToken', 'new-refresh')
        return json(401, { detail: 'this device was signed out; log in again' })
      }
      used.push((init!.headers as Record<string, string>).Authorization)
      if (url.includes('/api/sync/push')) return json(200, { results: [] })
      return json(200, emptyPull)
    })
    const engine = new SyncEngine(db, DEVICE, { fetch: fetch as never, base: '' })
    await engine.sync()
    expect(await getMeta(db, 'needsLogin', '')).toBe('')
    expect(await getMeta(db, 'accessToken', '')).toBe('new-access')
    expect(used[0]).toBe('Bearer new-access')
  })

  it('a resync drops the replica, keeps the outbox and primes again without a cursor', async () => {
    await record('A')
    await db.outbox.clear()
    await record('B')
    await setMeta(db, 'cursor', 'old')
    const cursors: (string | null)[] = []
    const fetch = vi.fn(async (url: string) => {
      if (url.includes('/api/sync/push')) return json(500, { detail: 'down' })
      const cursor = new URL(url, 'http://x').searchParams.get('cursor')
      cursors.push(cursor)
      if (cursor === 'old') return json(200, { ...emptyPull, cursor: '', has_more: true, resync: true })
      return json(200, emptyPull)
    })
    const engine = new SyncEngine(db, DEVICE, { fetch: fetch as never, base: '' })
    await engine.pull()
    expect(cursors).toEqual(['old', null])
    expect(await db.records.count()).toBe(0)
    expect(await db.outbox.count()).toBe(1)
  })

  it('a cursor the server did not make primes again from nothing, the outbox kept', async () => {
    const other = JOB.slice(0, -2) + '99' // reassigned while the server was being restored
    await db.records.put({ entity: 'jobs', id: other, job_id: null, data: { id: other } })
    await record('A')
    await setMeta(db, 'cursor', 'from-before-the-restore')
    const cursors: (string | null)[] = []
    const fetch = vi.fn(async (url: string) => {
      const cursor = new URL(url, 'http://x').searchParams.get('cursor')
      cursors.push(cursor)
      if (cursor) return json(400, { detail: 'the cursor is not one this server made; pull without a cursor' })
      return json(200, { ...emptyPull, items: [{ entity: 'jobs', id: JOB, op: 'upsert', data: { id: JOB, status: 'assigned' } }] })
    })
    await new SyncEngine(db, DEVICE, { fetch: fetch as never, base: '' }).pull()
    expect(cursors).toEqual(['from-before-the-restore', null])
    expect((await db.records.toArray()).map((r) => r.id)).toEqual([JOB])
    expect(await getMeta(db, 'cursor', '')).toBe('c1')
    expect(await db.outbox.count()).toBe(1)
  })

  it('an eviction lets go of the customer files no remaining job needs (protocol 9.4)', async () => {
    const kept = JOB.slice(0, -2) + '77'
    const records: StoredRecord[] = [
      { entity: 'jobs', id: JOB, job_id: null, data: { id: JOB, customer_id: 'c-gone' } },
      { entity: 'jobs', id: kept, job_id: null, data: { id: kept, customer_id: 'c-kept' } },
      ...['c-gone', 'c-kept'].flatMap((c): StoredRecord[] => [
        { entity: 'customers', id: c, job_id: null, data: { id: c } },
        { entity: 'contacts', id: `k-${c}`, job_id: null, data: { id: `k-${c}`, customer_id: c } },
        { entity: 'sites', id: `s-${c}`, job_id: null, data: { id: `s-${c}`, customer_id: c } },
        { entity: 'assets', id: `a-${c}`, job_id: null, data: { id: `a-${c}`, customer_id: c } },
        { entity: 'visits', id: `v-${c}`, job_id: null, data: { id: `v-${c}`, asset_id: `a-${c}` } },
      ]),
      { entity: 'parts', id: 'x', job_id: null, data: { id: 'x' } },
    ]
    await db.records.bulkPut(records)
    const engine = new SyncEngine(db, DEVICE, { fetch: (async () => json(200, { ...emptyPull, evictions: [JOB] })) as never, base: '' })
    await engine.pull()
    const left = (await db.records.toArray()).map((r) => `${r.entity}:${r.id}`).sort()
    expect(left).toEqual(
      [`jobs:${kept}`, 'customers:c-kept', 'contacts:k-c-kept', 'sites:s-c-kept', 'assets:a-c-kept', 'visits:v-c-kept', 'parts:x'].sort(),
    )
  })

  it('applies evictions: the job and its children go, the outbox stays', async () => {
    await db.records.put({ entity: 'photos', id: 'p1', job_id: JOB, data: { id: 'p1', job_id: JOB } })
    await db.records.put({ entity: 'parts', id: 'x', job_id: null, data: { id: 'x' } })
    await record('A')
    const engine = new SyncEngine(db, DEVICE, { fetch: (async () => json(200, { ...emptyPull, evictions: [JOB] })) as never, base: '' })
    await engine.pull()
    expect((await db.records.toArray()).map((r) => r.entity)).toEqual(['parts'])
    expect(await db.outbox.count()).toBe(1)
  })
})

describe('photo bytes', () => {
  it('of an evicted job go once uploaded; bytes not uploaded, or still named, stay', async () => {
    const kept = JOB.slice(0, -2) + '77'
    const sha = (c: string) => c.repeat(64)
    const photo = (id: string, job: string, hash: string): StoredRecord => ({ entity: 'photos', id, job_id: job, data: { id, job_id: job, blob_sha256: hash } })
    await db.records.bulkPut([
      { entity: 'jobs', id: kept, job_id: null, data: { id: kept } },
      photo('p1', JOB, sha('a')), // uploaded: goes with its job
      photo('p2', JOB, sha('b')), // never uploaded: stays, it exists nowhere else
      photo('p3', kept, sha('c')), // the kept job's: stays for offline viewing
    ])
    await enqueue(db, 'photo.add', { id: 'p4', job_id: JOB, blob_sha256: sha('d'), category: 'after' }, JOB)
    for (const [c, uploaded] of [['a', 1], ['b', 0], ['c', 1], ['d', 1]] as const) {
      await db.blobs.put({ sha256: sha(c), bytes: new Blob([c]), type: 'image/jpeg', size: 1, uploaded, lastError: '' })
    }
    const engine = new SyncEngine(db, DEVICE, { fetch: (async () => json(200, { ...emptyPull, evictions: [JOB] })) as never, base: '' })
    await engine.pull()
    expect((await db.blobs.toCollection().primaryKeys()).sort()).toEqual([sha('b'), sha('c'), sha('d')])
  })

  it('upload after their record, resume from the server offset after a 409, and complete', async () => {
    const sha = 'ab'.repeat(32)
    const bytes = new Blob([new Uint8Array(2500)])
    await db.blobs.put({ sha256: sha, bytes, type: 'image/jpeg', size: 2500, uploaded: 0, lastError: '' })
    await enqueue(db, 'photo.add', { id: crypto.randomUUID(), job_id: JOB, blob_sha256: sha, category: 'before' }, JOB)
    const calls: string[] = []
    let offset = 0
    const fetch = vi.fn(async (url: string, init?: RequestInit) => {
      const method = init?.method ?? 'GET'
      calls.push(`${method} ${url}`)
      if (url.includes('/api/uploads/missing')) return json(200, { missing: [sha] })
      if (method === 'POST' && url.endsWith('/api/uploads')) return json(200, { id: 'u1', offset, complete: false, chunk_size: 1000 })
      if (method === 'PUT') {
        const at = Number(new URL(url, 'http://x').searchParams.get('offset'))
        if (calls.filter((c) => c.startsWith('PUT')).length === 2) {
          offset = 2000 // another attempt got further meanwhile: the server says where to resume
          return json(409, { detail: 'resume at offset 2000, not 1000' })
        }
        offset = at + (init!.body as Blob).size
        return json(200, { id: 'u1', offset, complete: false })
      }
      if (method === 'GET') return json(200, { id: 'u1', offset, complete: false })
      if (url.endsWith('/complete')) return json(200, { sha256: sha })
      return json(404, { detail: 'no' })
    })
    const engine = new SyncEngine(db, DEVICE, { fetch: fetch as never, base: '' })
    expect(await engine.uploadBlobs()).toBe(0) // the record is still queued: bytes wait
    await db.outbox.clear()
    expect(await engine.uploadBlobs()).toBe(1)
    expect(calls.filter((c) => c.startsWith('PUT')).map((c) => c.split('offset=')[1])).toEqual(['0', '1000', '2000'])
    expect(calls.at(-1)).toBe('POST /api/uploads/u1/complete')
    expect((await db.blobs.get(sha))!.uploaded).toBe(1)
  })

  it('ask which bytes the server lacks at most 1000 hashes at a time, so a long offline week still syncs', async () => {
    // POST /api/uploads/missing takes at most 1000 hashes (api/media/controllers.py MissingIn):
    // more in one request got 400 at every sync, which also stopped every pull after it.
    const hashes = Array.from({ length: 1001 }, (_, i) => i.toString(16).padStart(64, '0'))
    await db.blobs.bulkPut(hashes.map((sha256) => ({ sha256, bytes: new Blob(['x']), type: 'image/jpeg', size: 1, uploaded: 0, lastError: '' })))
    const asked: number[] = []
    const fetch = vi.fn(async (url: string, init?: RequestInit) => {
      if (url.includes('/api/uploads/missing')) {
        const n = (JSON.parse(String(init?.body)) as { hashes: string[] }).hashes.length
        asked.push(n)
        if (n > 1000) return json(400, { detail: 'Expected `array` of length <= 1000 - at `$.hashes`' })
        return json(200, { missing: [] }) // the server holds them all already
      }
      if (url.includes('/api/sync/pull')) return json(200, emptyPull)
      return json(404, { detail: 'no' })
    })
    const engine = new SyncEngine(db, DEVICE, { fetch: fetch as never, base: '' })
    const report = await engine.sync()
    expect(Math.max(...asked)).toBeLessThanOrEqual(1000)
    expect(asked.reduce((a, b) => a + b, 0)).toBe(1001)
    expect(report.uploaded).toBe(1001)
    expect(await getMeta(db, 'cursor', '')).toBe('c1') // the pull ran
  })

  it('the server refuses for good (422) are kept, never sent again and no longer unsent work', async () => {
    const bad = 'e1'.repeat(32)
    const good = 'e2'.repeat(32)
    for (const sha of [bad, good]) {
      await db.blobs.put({ sha256: sha, bytes: new Blob(['x']), type: 'image/jpeg', size: 1, uploaded: 0, lastError: '' })
      await db.records.put({ entity: 'photos', id: `p-${sha.slice(0, 2)}`, job_id: JOB, data: { job_id: JOB, blob_sha256: sha, category: 'after' } })
    }
    const started: string[] = []
    const fetch = vi.fn(async (url: string, init?: RequestInit) => {
      if (url.includes('/api/uploads/missing')) return json(200, { missing: JSON.parse(String(init?.body)).hashes })
      if (url.endsWith('/api/uploads')) {
        const sha = (JSON.parse(String(init?.body)) as { sha256: string }).sha256
        started.push(sha)
        if (sha === bad) return json(422, { detail: 'the bytes are not an image the server accepts' })
        return json(200, { id: null, offset: 1, complete: true })
      }
      return json(404, { detail: 'no' })
    })
    const engine = new SyncEngine(db, DEVICE, { fetch: fetch as never, base: '' })
    expect(await engine.uploadBlobs()).toBe(1)
    const kept = await db.blobs.get(bad)
    expect(kept?.uploaded).toBe(0) // never dropped: the only copy of what was taken
    expect(kept?.refused).toBe('the bytes are not an image the server accepts')
    const unsent = await unsentBlobs(db)
    expect(unsent.waiting).toEqual([]) // so it no longer holds up a sign-out
    expect(unsent.refused.map((b) => b.sha256)).toEqual([bad])
    started.length = 0
    expect(await engine.uploadBlobs()).toBe(0)
    expect(started).toEqual([]) // not sent again at the next sync

    await sendAgain(db, bad) // the engineer asks: the server may take it now
    expect((await unsentBlobs(db)).waiting.map((b) => b.sha256)).toEqual([bad])
    expect(await engine.uploadBlobs()).toBe(0)
    expect(started).toEqual([bad]) // sent once more, refused again
    expect((await unsentBlobs(db)).refused.map((b) => b.sha256)).toEqual([bad])
  })

  it('that arrive damaged are sent again, unless they are damaged on the phone too', async () => {
    const whole = new Blob(['whole bytes'])
    const sha = await sha256Hex(await whole.arrayBuffer())
    const damaged = 'e4'.repeat(32) // bytes that no longer have the hash they were kept under
    await db.blobs.put({ sha256: sha, bytes: whole, type: 'image/jpeg', size: 11, uploaded: 0, lastError: '' })
    await db.blobs.put({ sha256: damaged, bytes: new Blob(['x']), type: 'image/jpeg', size: 1, uploaded: 0, lastError: '' })
    const fetch = vi.fn(async (url: string, init?: RequestInit) => {
      if (url.includes('/api/uploads/missing')) return json(200, { missing: JSON.parse(String(init?.body)).hashes })
      return json(422, { detail: 'the bytes received do not match the declared SHA-256; nothing was stored' })
    })
    const engine = new SyncEngine(db, DEVICE, { fetch: fetch as never, base: '' })
    expect(await engine.uploadBlobs()).toBe(0)
    expect((await db.blobs.get(sha))?.refused ?? '').toBe('') // whole here: damaged on the way
    expect((await db.blobs.get(damaged))?.refused).toContain('SHA-256')
    expect((await unsentBlobs(db)).waiting.map((b) => b.sha256)).toEqual([sha])
  })

  it('that fail for a passing reason are tried again at the next sync', async () => {
    const sha = 'e3'.repeat(32)
    await db.blobs.put({ sha256: sha, bytes: new Blob(['x']), type: 'image/jpeg', size: 1, uploaded: 0, lastError: '' })
    const fetch = vi.fn(async (url: string, init?: RequestInit) => {
      if (url.includes('/api/uploads/missing')) return json(200, { missing: JSON.parse(String(init?.body)).hashes })
      return json(503, { detail: 'the blob store is busy' })
    })
    const engine = new SyncEngine(db, DEVICE, { fetch: fetch as never, base: '' })
    expect(await engine.uploadBlobs()).toBe(0)
    expect((await db.blobs.get(sha))?.refused ?? '').toBe('')
    expect((await unsentBlobs(db)).waiting.map((b) => b.sha256)).toEqual([sha])
  })

  it('that cannot upload now do not keep the changes of the office from the phone', async () => {
    const sha = 'cd'.repeat(32)
    await db.blobs.put({ sha256: sha, bytes: new Blob(['x']), type: 'image/jpeg', size: 1, uploaded: 0, lastError: '' })
    const fetch = vi.fn(async (url: string) => {
      if (url.includes('/api/uploads/missing')) return json(503, { detail: 'the blob store is busy' })
      if (url.includes('/api/sync/pull')) return json(200, { ...emptyPull, items: [{ entity: 'jobs', id: JOB, op: 'upsert', data: { id: JOB, status: 'cancelled' } }] })
      return json(404, { detail: 'no' })
    })
    const engine = new SyncEngine(db, DEVICE, { fetch: fetch as never, base: '' })
    await expect(engine.sync()).rejects.toThrow('busy')
    expect((await db.records.get(['jobs', JOB]))?.data.status).toBe('cancelled') // pulled all the same
    expect(await getMeta(db, 'lastError', '')).toContain('busy') // and the engineer is told
    expect(await getMeta(db, 'lastErrorKind', '')).toBe('server_error') // a 503 without a code
    expect((await db.blobs.get(sha))?.uploaded).toBe(0) // the bytes wait for the next sync
  })

  it('whose record the server refused are detached; every byte a queued, answered or pulled record names still waits', async () => {
    const sha = (c: string) => c.repeat(64)
    const add = (id: string, hash: string) => ({ id, job_id: JOB, blob_sha256: hash, category: 'after' })
    const refused = await enqueueWithBytes(db, 'photo.add', add('p1', sha('a')), JOB, { sha256: sha('a'), bytes: new Blob(['a']) })
    const refusedTwin = await enqueue(db, 'photo.add', add('p2', sha('b')), JOB) // the same bytes as an accepted photo
    const accepted = await enqueue(db, 'photo.add', add('p3', sha('b')), JOB)
    await ack(db, [
      { id: refused.id, seq: refused.seq, status: 'rejected', reason: 'job unknown' },
      { id: refusedTwin.id, seq: refusedTwin.seq, status: 'rejected', reason: 'job unknown' },
      { id: accepted.id, seq: accepted.seq, status: 'applied' },
    ])
    await enqueue(db, 'photo.add', add('p4', sha('c')), JOB) // still queued
    await db.records.put({ entity: 'photos', id: 'p5', job_id: JOB, data: add('p5', sha('d')) }) // pulled
    for (const c of ['b', 'c', 'd', 'e']) {
      // 'e': named by nothing left on the phone, as when its job was evicted before the bytes went
      await db.blobs.put({ sha256: sha(c), bytes: new Blob([c]), type: 'image/jpeg', size: 1, uploaded: 0, lastError: '' })
    }
    const { waiting, detached } = await unsentBlobs(db)
    expect(detached.map((b) => b.sha256)).toEqual([sha('a')])
    expect(waiting.map((b) => b.sha256).sort()).toEqual([sha('b'), sha('c'), sha('d'), sha('e')])

    const asked: string[] = []
    const fetch = vi.fn(async (url: string, init?: RequestInit) => {
      if (url.includes('/api/uploads/missing')) {
        asked.push(...(JSON.parse(String(init?.body)) as { hashes: string[] }).hashes)
        return json(200, { missing: [] })
      }
      return json(404, { detail: 'no' })
    })
    const engine = new SyncEngine(db, DEVICE, { fetch: fetch as never, base: '' })
    expect(await engine.uploadBlobs()).toBe(3)
    expect(asked.sort()).toEqual([sha('b'), sha('d'), sha('e')]) // not the refused photo's, not before its record
    const kept = await db.blobs.get(sha('a'))
    expect(kept?.uploaded).toBe(0) // never dropped: kept with the refused mutation
    expect(await kept!.bytes.text()).toBe('a')
  })

  it('of a photo removed before they went still upload after its record, the photo gone from the replica', async () => {
    // The record stays on the server (removed_at set) and names them: nothing taken is lost.
    const sha = 'ce'.repeat(32)
    const photo = '01a21961-6600-7000-8000-000000000009'
    await enqueueWithBytes(db, 'photo.add', { id: photo, job_id: JOB, blob_sha256: sha, category: 'after' }, JOB, { sha256: sha, bytes: new Blob(['x']) })
    await enqueue(db, 'photo.remove', { id: photo }, JOB)
    expect((await rebase(db)).get(`photos:${photo}`)?.removed_at).toBe('pending')
    expect((await unsentBlobs(db)).waiting.map((b) => b.sha256)).toEqual([sha])
    const asked: string[] = []
    const fetch = vi.fn(async (url: string, init?: RequestInit) => {
      asked.push(url)
      const body = JSON.parse(String(init?.body ?? '{}')) as { mutations?: { id: string; seq: number }[] }
      if (url.includes('/api/sync/push')) return json(200, { results: body.mutations!.map((m) => ({ id: m.id, seq: m.seq, status: 'applied' })) })
      if (url.includes('/api/uploads/missing')) return json(200, { missing: [] })
      if (url.includes('/api/sync/pull')) {
        const removed = { id: photo, job_id: JOB, blob_sha256: sha, category: 'after', removed_at: '2026-11-26T03:00:00Z' }
        return json(200, { ...emptyPull, items: [{ entity: 'photos', id: photo, op: 'upsert', data: removed }] })
      }
      return json(404, { detail: 'no' })
    })
    const report = await new SyncEngine(db, DEVICE, { fetch: fetch as never, base: '' }).sync()
    expect([report.pushed, report.rejected, report.uploaded]).toEqual([2, 0, 1])
    expect(asked.map((u) => u.split('?')[0])).toEqual(['/api/sync/push', '/api/uploads/missing', '/api/sync/pull'])
    expect((await db.blobs.get(sha))?.uploaded).toBe(1)
    expect((await rebase(db)).get(`photos:${photo}`)?.removed_at).toBe('2026-11-26T03:00:00Z')
  })

  it('are kept in the same transaction as their record, or not at all', async () => {
    const sha = 'ef'.repeat(32)
    await db.outbox.add({ seq: 1, id: 'taken', name: 'note.add', at: '', args: {}, jobId: JOB, attempts: 0, lastError: '' })
    // The counter says 1, which is taken: the record cannot be queued, so the bytes must not stay.
    await expect(
      enqueueWithBytes(db, 'photo.add', { id: 'p1', job_id: JOB, blob_sha256: sha, category: 'after' }, JOB, { sha256: sha, bytes: new Blob(['x']) }),
    ).rejects.toThrow()
    expect(await db.blobs.count()).toBe(0)
  })
})
