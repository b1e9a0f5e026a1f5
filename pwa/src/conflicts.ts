// How the engineer app tells of a conflict record (sync protocol 7): the field by its name in
// the engineer's language, what happened in their language, and the server's reason kept as a
// detail (it is English, and the office reads the same text). The rules are shared with the
// office console (conflict-text.ts); the words are the engineer app's own.
import { codeName, fieldLabel, kindExplanation, textsIn, type CodeKeys, type Texts } from './conflict-text'
import type { Json } from './db'
import { i18n, type Locale } from './i18n'
import type { Rec } from './mutators'

export { conflictKind, type ConflictKind } from './conflict-text'

const texts = (locale?: Locale): Texts => textsIn(i18n.global, locale)
const CODES: CodeKeys = { billing: (code) => `parts.${code}`, category: (code) => `photos.${code}` }

/** The field a conflict is about, named for the engineer ("jobs.diagnosis" → "Diagnosis"). */
export function conflictLabel(c: Rec, locale?: Locale): string {
  return fieldLabel(c, texts(locale))
}

/** What happened, in the engineer's language; the server's reason is shown beneath it. */
export function conflictExplanation(c: Rec, locale?: Locale): string {
  return kindExplanation(c, texts(locale))
}

/** A conflict's value as the engineer can read it: a status, billing or photo category by its
 * name, text as it is; ids and structured values (a signature's strokes) are for the office's
 * screen. */
function readable(c: Rec, value: Json | undefined, locale?: Locale): string | null {
  if (typeof value !== 'string' && typeof value !== 'number') return null
  if (c.entity === 'jobs' && c.field === 'assigned_engineer_id') return null
  const s = String(value)
  return codeName(c, s, texts(locale), CODES) ?? (s === '' ? '—' : s)
}

/** "the server's value ↔ this phone's value", or "" when either cannot be shown. */
export function conflictValues(c: Rec, locale?: Locale): string {
  const server = readable(c, c.server_value, locale)
  const client = readable(c, c.client_value, locale)
  return server !== null && client !== null ? `${server} ↔ ${client}` : ''
}
