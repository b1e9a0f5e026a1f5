// Mutators: the same change the server will make, applied on the device at once
// (the reference mutators are in sync/client.py). Pure functions over a replica view.
import type { Args, Json } from './db'

export type Rec = Record<string, Json>
/** The replica: records by `${entity}:${id}`. */
export type View = Map<string, Rec>

export const JOB_CHILD_ENTITIES = [
  'part_lines',
  'photos',
  'signatures',
  'trip_events',
  'notes',
  'satisfaction',
  'repair_receipts',
  'sync_conflicts',
] as const

export const MUTATIONS = [
  'job.accept',
  'job.status',
  'job.record',
  'trip.log',
  'part_line.add',
  'part_line.change',
  'part_line.remove',
  'photo.add',
  'photo.change',
  'photo.remove',
  'note.add',
  'signature.add',
  'satisfaction.add',
  'receipt.add',
] as const
export type MutationName = (typeof MUTATIONS)[number]

export const RECORD_FIELDS = ['diagnosis', 'cause', 'work_done', 'advice'] as const
export const STATUS_TARGETS = ['en_route', 'on_site', 'waiting_parts', 'work_done'] as const
export const PHOTO_CATEGORIES = ['before', 'during', 'after', 'defect', 'nameplate'] as const

export const key = (entity: string, id: string): string => `${entity}:${id}`

/** The mutations that name a record the job already has by its `id`, without a `job_id`:
 * the entity of that record. */
const ON_RECORD: Partial<Record<MutationName, string>> = {
  'part_line.change': 'part_lines',
  'part_line.remove': 'part_lines',
  'photo.change': 'photos',
  'photo.remove': 'photos',
}

function job(view: View, args: Args): Rec | undefined {
  return view.get(key('jobs', String(args.job_id)))
}

function row(entity: string) {
  return (view: View, args: Args): void => {
    view.set(key(entity, String(args.id)), { ...args, id: String(args.id), pending: true })
  }
}

/** Three decimals, as the server stores quantities ("2" → "2.000"). */
export function qty3(value: string): string {
  const n = Number(value)
  return Number.isFinite(n) ? n.toFixed(3) : value
}

function moveVanStock(view: View, partId: string, delta: number): void {
  for (const [k, rec] of view) {
    if (k.startsWith('stock_levels:') && rec.part_id === partId) {
      view.set(k, { ...rec, quantity: qty3(String(Number(rec.quantity ?? 0) + delta)) })
      return
    }
  }
}

const MUTATORS: Record<MutationName, (view: View, args: Args, at?: string) => void> = {
  'job.accept': (view, args) => {
    const j = job(view, args)
    if (j && !j.acknowledged_at) view.set(key('jobs', String(j.id)), { ...j, acknowledged_at: 'pending' })
  },
  'job.status': (view, args, at) => {
    const j = job(view, args)
    if (!j) return
    // The server logs the trip for a departure or an arrival; show it at once.
    const kind = args.to === 'en_route' ? 'departed' : args.to === 'on_site' ? 'arrived' : null
    if (kind && j.status !== args.to) {
      const id = `local-${String(j.id)}-${kind}-${at ?? ''}`
      view.set(key('trip_events', id), { id, job_id: j.id, kind, device_time: at ?? null, pending: true })
    }
    // The time stamps the server sets with an applied move (handlers.apply_status): without
    // them the on-site SLA clock would run on, shown overdue while the engineer is on site.
    const stamps: Rec = {}
    if ((args.to === 'on_site' || args.to === 'work_done') && !j.arrived_at) stamps.arrived_at = at ?? new Date().toISOString()
    if (args.to === 'work_done') stamps.completed_at = at ?? new Date().toISOString()
    view.set(key('jobs', String(j.id)), { ...j, status: args.to, ...stamps })
  },
  'job.record': (view, args) => {
    const j = job(view, args)
    if (j) view.set(key('jobs', String(j.id)), { ...j, ...(args.fields as Rec) })
  },
  'trip.log': (view, args, at) => row('trip_events')(view, { ...args, device_time: at ?? null }),
  'part_line.add': (view, args) => {
    row('part_lines')(view, { ...args, removed_at: null })
    if ((args.source ?? 'van') === 'van') moveVanStock(view, String(args.part_id), -Number(args.quantity))
  },
  'part_line.change': (view, args) => {
    const k = key('part_lines', String(args.id))
    const line = view.get(k)
    if (!line) return
    const fields = args.fields as Rec
    if (fields.quantity !== undefined && (line.source ?? 'van') === 'van') {
      moveVanStock(view, String(line.part_id), Number(line.quantity) - Number(fields.quantity))
    }
    view.set(k, { ...line, ...fields })
  },
  'part_line.remove': (view, args) => {
    const k = key('part_lines', String(args.id))
    const line = view.get(k)
    if (!line || line.removed_at) return
    if ((line.source ?? 'van') === 'van') moveVanStock(view, String(line.part_id), Number(line.quantity))
    view.set(k, { ...line, removed_at: 'pending' })
  },
  'photo.add': (view, args) => row('photos')(view, { ...args, removed_at: null }),
  'photo.change': (view, args) => {
    const k = key('photos', String(args.id))
    const photo = view.get(k)
    if (photo) view.set(k, { ...photo, ...(args.fields as Rec) })
  },
  'photo.remove': (view, args) => {
    const k = key('photos', String(args.id))
    const photo = view.get(k)
    if (photo && !photo.removed_at) view.set(k, { ...photo, removed_at: 'pending' })
  },
  'note.add': row('notes'),
  'signature.add': row('signatures'),
  'satisfaction.add': row('satisfaction'),
  'receipt.add': row('repair_receipts'),
}

/** Apply one mutation to a replica view, as the device does before the server answers. */
export function applyLocally(view: View, name: string, args: Args, at?: string): void {
  const mutator = MUTATORS[name as MutationName]
  if (mutator) mutator(view, args, at)
}

/** Drop a job and what hangs off it (an eviction). Never touches the outbox. */
export function evict(view: View, jobId: string): void {
  view.delete(key('jobs', jobId))
  for (const [k, rec] of view) {
    const entity = k.slice(0, k.indexOf(':'))
    if ((JOB_CHILD_ENTITIES as readonly string[]).includes(entity) && rec.job_id === jobId) view.delete(k)
  }
}

/** Fill `base` / `base_status` from the replica at the moment of the edit (protocol 6.3). */
export function withBase(view: View, name: string, args: Args): Args {
  if (name === 'job.record') {
    const j = job(view, args) ?? {}
    const fields = args.fields as Rec
    const base: Rec = {}
    for (const f of Object.keys(fields)) base[f] = (j[f] as Json) ?? null
    return { ...args, base: (args.base as Rec | undefined) ?? base }
  }
  if (name === 'part_line.change' || name === 'photo.change') {
    const changed = view.get(key(ON_RECORD[name]!, String(args.id))) ?? {}
    const fields = args.fields as Rec
    const base: Rec = {}
    for (const f of Object.keys(fields)) base[f] = changed[f] === undefined || changed[f] === null ? null : String(changed[f])
    return { ...args, base: (args.base as Rec | undefined) ?? base }
  }
  if (name === 'job.status') {
    const j = job(view, args) ?? {}
    return { ...args, base_status: (args.base_status as Json) ?? (j.status as Json) ?? '' }
  }
  return args
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i
const SHA = /^[0-9a-f]{64}$/
const QUANTITY = /^[0-9]+(\.[0-9]{1,3})?$/ // 3 decimals, as the server keeps

export class InvalidMutation extends Error {}

function need(ok: boolean, message: string): void {
  if (!ok) throw new InvalidMutation(message)
}

function text(v: Json | undefined, max: number, min = 0): boolean {
  return (v === undefined && min === 0) || (typeof v === 'string' && v.length >= min && v.length <= max)
}

/** Signature strokes check, as api/media/signatures.py does: ≥ 8 points, ≥ 60 px of ink. */
export function signatureProblem(strokes: Json | undefined): string | null {
  if (!strokes || typeof strokes !== 'object' || Array.isArray(strokes)) return 'the signature is empty'
  const list = (strokes as Rec).strokes
  if (!Array.isArray(list) || list.length === 0) return 'the signature is empty'
  let points = 0
  let ink = 0
  for (const stroke of list) {
    if (!Array.isArray(stroke)) return 'each stroke is a list of points'
    let prev: Rec | null = null
    for (const p of stroke as Rec[]) {
      if (typeof p?.x !== 'number' || typeof p?.y !== 'number') return 'each point needs numeric x and y'
      if (prev) ink += Math.hypot((p.x as number) - (prev.x as number), (p.y as number) - (prev.y as number))
      prev = p
      points++
    }
  }
  const w = (strokes as Rec).width
  const h = (strokes as Rec).height
  if (points > 20000) return 'too many points'
  if ((typeof w === 'number' && w > 2000) || (typeof h === 'number' && h > 2000)) return 'the canvas is too large'
  if (points < 8 || ink < 60) return 'the signature is too short; please sign again'
  return null
}

/** Refuse an envelope the server would reject (protocol 4.8: validate when queued). */
export function validate(name: string, args: Args): void {
  need((MUTATIONS as readonly string[]).includes(name), `unknown mutation ${name}`)
  const id = (k: string) => need(typeof args[k] === 'string' && UUID.test(args[k] as string), `${k} must be a UUID`)
  if (!ON_RECORD[name as MutationName]) id('job_id')
  if (['trip.log', 'part_line.add', 'part_line.change', 'part_line.remove', 'photo.add', 'photo.change', 'photo.remove',
    'note.add', 'signature.add', 'satisfaction.add', 'receipt.add'].includes(name)) id('id')
  switch (name) {
    case 'job.status':
      need((STATUS_TARGETS as readonly string[]).includes(args.to as string), 'invalid status')
      need(typeof args.base_status === 'string', 'base_status is required')
      break
    case 'job.record': {
      const fields = args.fields as Rec
      need(!!fields && typeof fields === 'object', 'fields required')
      for (const [k, v] of Object.entries(fields)) {
        need((RECORD_FIELDS as readonly string[]).includes(k), `${k} is not a field of the record`)
        need(text(v, 10000), `${k} is too long`)
      }
      break
    }
    case 'trip.log':
      need(['departed', 'arrived', 'left'].includes(args.kind as string), 'invalid trip kind')
      break
    case 'part_line.add':
      id('part_id')
      need(QUANTITY.test(String(args.quantity)) && Number(args.quantity) > 0 && Number(args.quantity) <= 1e6, 'invalid quantity')
      need(['warranty', 'chargeable'].includes(args.billing as string), 'invalid billing')
      need(['van', 'warehouse', 'customer', undefined].includes(args.source as string | undefined), 'invalid source')
      need(text(args.note, 200), 'note too long')
      break
    case 'part_line.change': {
      const fields = args.fields as Rec
      for (const [k, v] of Object.entries(fields ?? {})) {
        need(['quantity', 'billing', 'note'].includes(k), `unknown field ${k}`)
        if (k === 'quantity') need(QUANTITY.test(String(v)) && Number(v) > 0 && Number(v) <= 1e6, 'invalid quantity')
        if (k === 'billing') need(['warranty', 'chargeable'].includes(v as string), 'invalid billing')
        if (k === 'note') need(text(v, 200), 'note too long')
      }
      break
    }
    case 'photo.add':
      need(SHA.test(String(args.blob_sha256)), 'blob_sha256 must be 64 lowercase hex digits')
      need((PHOTO_CATEGORIES as readonly string[]).includes(args.category as string), 'invalid category')
      need(text(args.caption, 200), 'caption too long')
      break
    case 'photo.change': {
      const fields = args.fields as Rec
      need(!!fields && typeof fields === 'object' && Object.keys(fields).length > 0, 'nothing to change')
      for (const [k, v] of Object.entries(fields)) {
        need(['category', 'caption'].includes(k), `unknown field ${k}`)
        if (k === 'category') need((PHOTO_CATEGORIES as readonly string[]).includes(v as string), 'invalid category')
        if (k === 'caption') need(typeof v === 'string' && text(v, 200), 'caption too long')
      }
      break
    }
    case 'note.add':
      need(text(args.body, 10000, 1), 'a note needs 1 to 10000 characters')
      break
    case 'signature.add': {
      need(['customer', 'engineer'].includes(args.signer_role as string), 'invalid signer role')
      need(text(args.signer_name, 100, 1), 'the signer name needs 1 to 100 characters')
      need(SHA.test(String(args.content_sha256)), 'content_sha256 must be 64 lowercase hex digits')
      const problem = signatureProblem(args.strokes)
      need(problem === null, problem ?? '')
      break
    }
    case 'satisfaction.add':
      need(Number.isInteger(args.score) && (args.score as number) >= 1 && (args.score as number) <= 5, 'score must be 1 to 5')
      need(text(args.remarks, 2000), 'remarks too long')
      break
    case 'receipt.add':
      need(text(args.item_description, 2000, 1), 'the item needs a description')
      need(text(args.serial, 100), 'serial too long')
      need(text(args.fault, 2000) && text(args.accessories, 2000), 'text too long')
      break
  }
}

/** The job a mutation concerns (one naming a part line or a photo: through it in the view). */
export function jobOf(view: View, name: string, args: Args): string | null {
  if (typeof args.job_id === 'string') return args.job_id
  const entity = ON_RECORD[name as MutationName]
  const rec = entity ? view.get(key(entity, String(args.id))) : undefined
  return rec ? String(rec.job_id) : null
}

/** Whether the customer has signed the job's current visit on this phone, a signature still
 * queued included: the server takes it before any change queued after it. */
export function customerHasSigned(view: View, jobId: string): boolean {
  const signatures = [...view.entries()]
    .filter(([k, r]) => k.startsWith('signatures:') && r.job_id === jobId)
    .map(([, r]) => r)
  return currentVisit(signatures, []).signed.some((s) => s.signer_role === 'customer')
}

/** Refuse, before it is queued, a change to a photo the server would refuse given what this
 * phone holds (its reasons, word for word): the report the customer signed names the photo, so
 * once they have signed it can neither leave nor change. */
export function validateOnReplica(view: View, name: string, args: Args): void {
  if (name !== 'photo.change' && name !== 'photo.remove') return
  const photo = view.get(key('photos', String(args.id)))
  need(photo !== undefined, 'unknown photo')
  need(!customerHasSigned(view, String(photo!.job_id)), 'the customer has signed the report with this photo in it')
  if (name === 'photo.change') need(!photo!.removed_at, 'the photo was removed')
}

/** Whether the customer's signature may be taken now. The server moves a job to `signed` only
 * for a customer signature that finds it at `work_done` (protocol 5.10); one taken earlier is
 * stored but moves nothing, and the job would stay unsigned after "work done", the customer's
 * one signature spent (a second is a write-once conflict). */
export function customerMaySign(job: Rec | undefined): boolean {
  return job?.status === 'work_done'
}

/** The current visit of a job, from its signatures and ratings. Reopening the job for a new
 * visit (重新派修) sets its signatures aside (`superseded_at`): the new visit is signed, and
 * rated on site, afresh. Call-back ratings are the office's and are left out. */
export function currentVisit(signatures: Rec[], ratings: Rec[]): { signed: Rec[]; ratings: Rec[] } {
  const times = signatures.map((s) => s.superseded_at).filter((t): t is string => typeof t === 'string' && t !== '')
  const setAside = times.sort().at(-1) ?? ''
  return {
    signed: signatures.filter((s) => !s.superseded_at),
    // On site only (a pending one is the phone's own), as the server counts one per visit: a
    // call-back's or a report page's rating leaves the form for the customer on site.
    ratings: ratings.filter((r) => (r.pending === true || r.source === 'on_site') && (!setAside || r.pending === true || Date.parse(String(r.at ?? '')) > Date.parse(setAside))),
  }
}
