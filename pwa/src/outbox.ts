// The outbox: enqueue / peek / ack / dead-letter. Only a server answer removes an entry,
// and a refused one moves to `failed` with its reason, where the engineer sees it.
import { uuid7 } from './ids'
import type { AckedEntry, Args, DeviceDb, Envelope, Json, OutboxEntry } from './db'
import { applyLocally, key, type Rec, type View } from './mutators'

export interface PushResult {
  id: string
  seq: number
  status: 'applied' | 'merged' | 'conflict' | 'rejected' | 'duplicate'
  reason?: string
  /** Of some rejections: what `reason` says, for the app to say in words (sync protocol 4.2). */
  code?: string
  conflicts?: string[]
  replayed?: boolean
}

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g
const NUL = /\u0000/g

/** ``value`` with every half of a UTF-16 surrogate pair that lost its other half (a text cut
 * in the middle of an emoji) replaced by U+FFFD. JSON.stringify writes such a half as an
 * escape the server cannot decode, and it would refuse the whole push each time it is sent:
 * one caption would block the outbox for good. NUL characters (pasted text) become U+FFFD
 * too, as the server's ``scrub`` stores them: it refuses a mutation whose args hold one. */
export function wellFormed<T extends Json>(value: T): T {
  if (typeof value === 'string') return value.replace(LONE_SURROGATE, '\uFFFD').replace(NUL, '\uFFFD') as T
  if (Array.isArray(value)) return value.map((v) => wellFormed(v)) as T
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [wellFormed(k), wellFormed(v)])) as T
  }
  return value
}

/** Queue a mutation: take the next sequence number and add the envelope in one transaction. */
export async function enqueue(
  db: DeviceDb,
  name: string,
  args: Args,
  jobId: string | null,
  now: Date = new Date(),
): Promise<OutboxEntry> {
  return db.transaction('rw', db.meta, db.outbox, async () => {
    const counter = await db.meta.get('nextSeq')
    const seq = typeof counter?.value === 'number' ? counter.value : 1
    const entry: OutboxEntry = {
      seq,
      id: uuid7(),
      name,
      at: now.toISOString(),
      args: wellFormed(args),
      jobId,
      attempts: 0,
      lastError: '',
    }
    await db.outbox.add(entry)
    await db.meta.put({ key: 'nextSeq', value: seq + 1 })
    return entry
  })
}

/** Queue a mutation and keep the photo bytes it names in one transaction: bytes are never
 * left on the phone without the record that needs them (a record that failed to queue would
 * leave them waiting to upload for ever), nor a record queued without its bytes. */
export async function enqueueWithBytes(
  db: DeviceDb,
  name: string,
  args: Args,
  jobId: string | null,
  photo: { sha256: string; bytes: Blob },
  now: Date = new Date(),
): Promise<OutboxEntry> {
  return db.transaction('rw', db.meta, db.outbox, db.blobs, async () => {
    const { sha256, bytes } = photo
    await db.blobs.put({ sha256, bytes, type: bytes.type, size: bytes.size, uploaded: 0, lastError: '' })
    return enqueue(db, name, args, jobId, now)
  })
}

/** The oldest queued mutations, in sequence order. */
export async function peek(db: DeviceDb, limit = 200): Promise<OutboxEntry[]> {
  return db.outbox.orderBy('seq').limit(limit).toArray()
}

/** The envelope as sent on the wire (bookkeeping fields left out). */
export function envelope(entry: Envelope): Envelope {
  // Entries queued before `enqueue` cleaned text may still hold a lost surrogate half; the
  // server never took a push with one, so sending it cleaned changes no answered mutation.
  return { id: entry.id, seq: entry.seq, name: entry.name, at: entry.at, args: wellFormed(entry.args) }
}

/**
 * Record a push answer: every entry with a result leaves the outbox (matched by id, never by
 * last_seq); refused ones go to `failed` with the reason, the others to `acked` until the next
 * pull shows their effect. Entries without a result stay queued.
 */
export async function ack(db: DeviceDb, results: PushResult[], now: Date = new Date()): Promise<void> {
  const byId = new Map(results.map((r) => [r.id, r]))
  await db.transaction('rw', [db.outbox, db.failed, db.acked, db.records], async () => {
    const queued = await db.outbox.where('id').anyOf([...byId.keys()]).toArray()
    for (const entry of queued) {
      const result = byId.get(entry.id)!
      const base = envelope(entry)
      if (result.status === 'rejected') {
        await deadLetter(db, entry, result.reason || 'rejected', now, result.code ?? null)
        continue
      }
      await db.acked.put({
        ...base,
        jobId: entry.jobId,
        status: result.status,
        conflicts: result.conflicts ?? [],
        answeredAt: now.toISOString(),
      })
      await db.outbox.delete(entry.seq)
    }
  })
}

/** Move a refused entry to the visible failed list (a dead letter is kept, not dropped). */
export async function deadLetter(
  db: DeviceDb, entry: OutboxEntry, reason: string, now: Date = new Date(), code: string | null = null,
): Promise<void> {
  await db.transaction('rw', db.outbox, db.failed, db.records, async () => {
    const job = entry.jobId ? await db.records.get(['jobs', entry.jobId]) : undefined
    const number = job?.data.number
    await db.failed.put({
      ...envelope(entry), jobId: entry.jobId, reason, code, answeredAt: now.toISOString(),
      ...(typeof number === 'string' ? { jobNumber: number } : {}),
    })
    await db.outbox.delete(entry.seq)
  })
}

/** Note a failed attempt on the entries sent (they stay queued, same ids and seqs). */
export async function noteAttempt(db: DeviceDb, seqs: number[], error: string): Promise<void> {
  await db.transaction('rw', db.outbox, async () => {
    for (const seq of seqs) {
      await db.outbox.update(seq, (e: OutboxEntry) => {
        e.attempts += 1
        e.lastError = error
      })
    }
  })
}

/**
 * The replica: the records received from the server with the answered-but-not-yet-pulled
 * mutations and then the queued ones re-applied on top, in seq order (a rebase).
 */
export async function rebase(db: DeviceDb): Promise<View> {
  const [records, acked, queued] = await db.transaction('r', db.records, db.acked, db.outbox, () =>
    Promise.all([db.records.toArray(), db.acked.orderBy('seq').toArray(), db.outbox.orderBy('seq').toArray()]),
  )
  const view: View = new Map()
  for (const r of records) view.set(key(r.entity, r.id), structuredClone(r.data) as Rec)
  const pending: (AckedEntry | OutboxEntry)[] = [...acked, ...queued]
  for (const m of pending) applyLocally(view, m.name, m.args, m.at)
  return view
}
