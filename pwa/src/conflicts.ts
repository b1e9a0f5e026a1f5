// How the engineer app tells of a conflict record (sync protocol 7): the field by its name in
// the engineer's language, what happened in their language, and the server's reason kept as a
// detail (it is English, and the office reads the same text).
import type { Json } from './db'
import { i18n, type Locale } from './i18n'
import type { Rec } from './mutators'

/** What kind of clash a conflict record is (sync protocol 7.1), as the phone explains it. */
export type ConflictKind =
  | 'reassigned' // work from a former assignee, or their field edits
  | 'status' // an impossible status move
  | 'edited_own_device' // the same field changed meanwhile by this engineer on another phone
  | 'edited_other_engineer' // … by another engineer
  | 'edited' // … by someone the reason does not name
  | 'signature' // a second, different signature
  | 'other'

// The server's texts (api/domain/sync/handlers.py REASSIGNED, sync/merge.py merge_field).
const REASSIGNED = 'the job was reassigned to another engineer'
const OWN_DEVICE = 'this engineer on another device'
const OTHER_ENGINEER = 'another engineer'

const text = (v: Json | undefined): string => (typeof v === 'string' ? v : '')

/** The kind of a conflict, from its policy and field; the reason text only refines it. */
export function conflictKind(c: Rec): ConflictKind {
  const reason = text(c.reason)
  if (reason.startsWith(REASSIGNED) || (c.entity === 'jobs' && c.field === 'assigned_engineer_id')) return 'reassigned'
  switch (c.policy) {
    case 'state_machine':
      return 'status'
    case 'write_once':
      return 'signature'
    case 'engineer':
      if (reason.includes(OWN_DEVICE)) return 'edited_own_device'
      if (reason.includes(OTHER_ENGINEER)) return 'edited_other_engineer'
      return 'edited'
  }
  if (c.entity === 'jobs' && c.field === 'status') return 'status'
  if (c.entity === 'signatures') return 'signature'
  return 'other'
}

const tr = (key: string, locale?: Locale, named: Record<string, unknown> = {}): string =>
  locale ? i18n.global.t(key, named, { locale }) : i18n.global.t(key, named)
const has = (key: string, locale?: Locale): boolean => (locale ? i18n.global.te(key, locale) : i18n.global.te(key))

/** The field a conflict is about, named for the engineer ("jobs.diagnosis" → "Diagnosis"). */
export function conflictLabel(c: Rec, locale?: Locale): string {
  const entity = text(c.entity)
  const field = text(c.field)
  // vue-i18n reads a dot as a path: the keys join entity and field with "_".
  const fieldKey = `conflict.field.${entity}_${field}`
  if (has(fieldKey, locale)) return tr(fieldKey, locale)
  const entityKey = `conflict.entity.${entity}`
  if (has(entityKey, locale)) return `${tr(entityKey, locale)} · ${field}`
  return `${entity}.${field}`
}

/** What happened, in the engineer's language; the server's reason is shown beneath it. */
export function conflictExplanation(c: Rec, locale?: Locale): string {
  return tr(`conflict.kind.${conflictKind(c)}`, locale)
}

/** A conflict's value as the engineer can read it: a status or billing by its name, text as it
 * is; ids and structured values (a signature's strokes) are for the office's screen. */
function readable(c: Rec, value: Json | undefined, locale?: Locale): string | null {
  if (typeof value !== 'string' && typeof value !== 'number') return null
  const s = String(value)
  if (c.entity === 'jobs' && c.field === 'assigned_engineer_id') return null
  if (c.entity === 'jobs' && c.field === 'status' && has(`status.${s}`, locale)) return tr(`status.${s}`, locale)
  if (c.entity === 'part_lines' && c.field === 'billing' && has(`parts.${s}`, locale)) return tr(`parts.${s}`, locale)
  return s === '' ? '—' : s
}

/** "the server's value ↔ this phone's value", or "" when either cannot be shown. */
export function conflictValues(c: Rec, locale?: Locale): string {
  const server = readable(c, c.server_value, locale)
  const client = readable(c, c.client_value, locale)
  return server !== null && client !== null ? `${server} ↔ ${client}` : ''
}
