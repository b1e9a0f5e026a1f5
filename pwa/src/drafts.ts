// Record text typed but not yet queued. The service record queues an edit 0.7 s after the last
// key, and IndexedDB is asynchronous: a reload, a closed tab or a killed app in that moment lost
// the last words typed (the queue's transaction never finished). Each keystroke also writes the
// field to localStorage, which is synchronous; the app queues what is left there when it opens
// the device again, with the base the engineer typed over, so an office edit made meanwhile is
// a conflict, not overwritten.

export interface Draft {
  jobId: string
  /** The text typed, by field. */
  fields: Record<string, string>
  /** Each field's value in the replica when typing began (the edit's base, protocol 6.3). */
  base: Record<string, string | null>
}

/** The page's localStorage, or null where the browser blocks site storage (reading the
 * property itself throws then): drafts are a safety net, never a reason to fail. */
export function localStore(): Storage | null {
  try {
    return typeof localStorage === 'undefined' ? null : localStorage
  } catch {
    return null
  }
}

const PREFIX = 'fieldsync-draft:'
const keyOf = (deviceId: string, jobId: string) => `${PREFIX}${deviceId}:${jobId}`

function read(storage: Storage, key: string): Draft | null {
  try {
    const raw = storage.getItem(key)
    if (!raw) return null
    const d = JSON.parse(raw) as Draft
    return d && typeof d.jobId === 'string' && d.fields && d.base ? d : null
  } catch {
    return null
  }
}

function write(storage: Storage, key: string, draft: Draft): void {
  try {
    if (Object.keys(draft.fields).length) storage.setItem(key, JSON.stringify(draft))
    else storage.removeItem(key)
  } catch {
    // Storage full or blocked: the asynchronous queue still has its usual chance.
  }
}

/** Keep `value` typed into `field` of a job; `base` is kept from the first keystroke on. */
export function keepDraft(storage: Storage, deviceId: string, jobId: string, field: string, value: string, base: string | null): void {
  const key = keyOf(deviceId, jobId)
  const draft = read(storage, key) ?? { jobId, fields: {}, base: {} }
  if (!(field in draft.base)) draft.base[field] = base
  draft.fields[field] = value
  write(storage, key, draft)
}

/** The fields now queued: forgotten, unless typed on since (their newer text stays). */
export function dropDraft(storage: Storage, deviceId: string, jobId: string, queued: Record<string, string>): void {
  const key = keyOf(deviceId, jobId)
  const draft = read(storage, key)
  if (!draft) return
  for (const [field, value] of Object.entries(queued)) {
    if (draft.fields[field] === value) {
      delete draft.fields[field]
      delete draft.base[field]
    }
  }
  write(storage, key, draft)
}

/** Forget a job's draft entirely (it was queued from another path). */
export function forgetDraft(storage: Storage, deviceId: string, jobId: string): void {
  try {
    storage.removeItem(keyOf(deviceId, jobId))
  } catch {
    /* nothing kept */
  }
}

/** Every draft left on this device (by a reload or a killed app before it was queued). */
export function draftsOf(storage: Storage, deviceId: string): Draft[] {
  const found: Draft[] = []
  for (let i = 0; i < storage.length; i++) {
    const key = storage.key(i)
    if (!key?.startsWith(`${PREFIX}${deviceId}:`)) continue
    const draft = read(storage, key)
    if (draft && Object.keys(draft.fields).length) found.push(draft)
  }
  return found
}

/** What to do with a draft, given the replica's values now: `fields` to queue as the record's
 * edit (their base unchanged since the typing began), `aside` to keep as a note (the field
 * changed meanwhile: the recovered text must not overwrite that change). Fields the replica
 * holds already are neither. */
export function unqueued(
  draft: Draft, current: (field: string) => string | null,
): { fields: Record<string, string>; aside: Record<string, string> } {
  const fields: Record<string, string> = {}
  const aside: Record<string, string> = {}
  for (const [field, value] of Object.entries(draft.fields)) {
    const now = current(field)
    if (value === (now ?? '')) continue
    if ((draft.base[field] ?? '') === (now ?? '')) fields[field] = value
    else aside[field] = value
  }
  return { fields, aside }
}
