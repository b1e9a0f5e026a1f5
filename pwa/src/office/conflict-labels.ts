// Each conflict told in the desk's words on the reconciliation screen: the field by its name,
// what kind of clash it is (the server's English reason stays as a detail), values readable.
// The rules are the engineer app's (conflict-text.ts); the words are the console's.
import { codeName, fieldLabel, kindExplanation, textsIn, type CodeKeys, type ConflictFields, type Texts } from '../conflict-text'
import { i18n } from './i18n'

export { conflictKind, fieldCode } from '../conflict-text'

type Locale = 'zh-CN' | 'en'

const texts = (locale?: Locale): Texts => textsIn(i18n.global, locale)
const CODES: CodeKeys = { billing: (code) => `settlement.${code}`, category: (code) => `review.category_${code}` }

/** The field a conflict is about, by its name ("jobs.diagnosis" → "Diagnosis" / "故障诊断"). */
export function conflictLabel(c: ConflictFields, locale?: Locale): string {
  return fieldLabel(c, texts(locale))
}

/** What kind of clash it is and what the desk decides, in the desk's language. */
export function conflictExplanation(c: ConflictFields, locale?: Locale): string {
  return kindExplanation(c, texts(locale))
}

/** A user by name, from the console's list of users; an unknown id by its first 8 characters. */
export function userName(id: string | null | undefined, users: Record<string, string>): string {
  return id ? users[id] ?? id.slice(0, 8) : '—'
}

const record = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v)

/** One of a conflict's values (base, server, device or decided) as the desk reads it: a status,
 * billing or photo category by its name, an engineer by name, a signature as whose it is (not its strokes),
 * text as it is. */
export function conflictValue(c: ConflictFields, value: unknown, users: Record<string, string>, locale?: Locale): string {
  const tx = texts(locale)
  if (value === null || value === undefined) return '—'
  if (c.entity === 'jobs' && c.field === 'assigned_engineer_id' && typeof value === 'string') return userName(value, users)
  const named = codeName(c, value, tx, CODES)
  if (named !== null) return named
  if (c.entity === 'signatures' && record(value)) {
    const name = value.signer_name
    return typeof name === 'string' && name ? tx.t('conflict.signatureOf', { name }) : tx.t('conflict.signature')
  }
  if (typeof value === 'string') return value === '' ? tx.t('conflict.empty') : value
  return typeof value === 'object' ? JSON.stringify(value) : String(value)
}
