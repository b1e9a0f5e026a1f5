// The canonical report content (docs/report-content.md, version 1) and its SHA-256.
// The customer signs this hash; the server recomputes it and refuses a report that differs.
import type { Json } from './db'
import { key, type Rec, type View } from './mutators'

export interface ContentInput {
  job: { number: string; fault_description?: string; diagnosis?: string; cause?: string; work_done?: string; advice?: string }
  customer: { name: string }
  site: { name?: string; address?: string } | null
  asset: { model?: string; serial?: string } | null
  part_lines: { id: string; part_code: string; part_name: string; unit: string; quantity: string; billing: string; note?: string; removed_at?: Json }[]
  photos: { id: string; blob_sha256: string; category: string; caption?: string; removed_at?: Json }[]
  receipts: { id: string; item_description: string; serial?: string; fault?: string; accessories?: string }[]
}

/** Lone surrogates → U+FFFD, CR LF and CR → LF, then NFC. */
export function canonicalText(s: string): string {
  let out = ''
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i)
    if (c >= 0xd800 && c <= 0xdbff && i + 1 < s.length && (s.charCodeAt(i + 1) & 0xfc00) === 0xdc00) {
      out += s[i] + s[i + 1]
      i++
    } else if (c >= 0xd800 && c <= 0xdfff) {
      out += '\ufffd'
    } else {
      out += s[i]
    }
  }
  return out.replace(/\r\n?/g, '\n').normalize('NFC')
}

/** "1.000" → "1", "010.0" → "10", "0.250" → "0.25". */
export function canonicalQuantity(q: string): string {
  const m = /^([0-9]+)(?:\.([0-9]+))?$/.exec(q)
  if (!m) throw new Error(`bad quantity ${q}`)
  const whole = m[1].replace(/^0+/, '') || '0'
  const frac = (m[2] ?? '').replace(/0+$/, '')
  return frac ? `${whole}.${frac}` : whole
}

const lower = (s: string): string => s.replace(/[A-Z]/g, (c) => c.toLowerCase())
const byId = (a: { id: string }, b: { id: string }): number => (a.id < b.id ? -1 : a.id > b.id ? 1 : 0)

function sortKeys(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(sortKeys)
  if (v && typeof v === 'object') {
    const o = v as Record<string, unknown>
    return Object.fromEntries(Object.keys(o).sort().map((k) => [k, sortKeys(o[k])]))
  }
  return v
}

const t = (s: string | null | undefined): string => canonicalText(s ?? '')

/** The canonical JSON text of the report content. */
export function canonicalContent(input: ContentInput): string {
  const j = input.job
  const site = input.site ?? {}
  const asset = input.asset ?? {}
  const doc = {
    version: 1,
    job: {
      number: t(j.number),
      fault_description: t(j.fault_description),
      diagnosis: t(j.diagnosis),
      cause: t(j.cause),
      work_done: t(j.work_done),
      advice: t(j.advice),
    },
    customer: { name: t(input.customer.name) },
    site: { name: t(site.name), address: t(site.address) },
    asset: { model: t(asset.model), serial: t(asset.serial) },
    parts: input.part_lines
      .filter((p) => !p.removed_at)
      .map((p) => ({
        id: lower(p.id),
        code: t(p.part_code),
        name: t(p.part_name),
        unit: t(p.unit),
        quantity: canonicalQuantity(p.quantity),
        billing: t(p.billing),
        note: t(p.note),
      }))
      .sort(byId),
    photos: input.photos
      .filter((p) => !p.removed_at)
      .map((p) => ({ id: lower(p.id), sha256: lower(p.blob_sha256), category: t(p.category), caption: t(p.caption) }))
      .sort(byId),
    receipts: input.receipts
      .map((r) => ({ id: lower(r.id), item: t(r.item_description), serial: t(r.serial), fault: t(r.fault), accessories: t(r.accessories) }))
      .sort(byId),
  }
  return JSON.stringify(sortKeys(doc))
}

export async function sha256Hex(data: BufferSource): Promise<string> {
  const digest = await crypto.subtle.digest('SHA-256', data)
  return Array.from(new Uint8Array(digest), (b) => b.toString(16).padStart(2, '0')).join('')
}

export async function contentHash(input: ContentInput): Promise<string> {
  return sha256Hex(new TextEncoder().encode(canonicalContent(input)))
}

const s = (v: Json | undefined): string => (typeof v === 'string' ? v : v === null || v === undefined ? '' : String(v))

/** A signed text and, for an English-speaking customer, its English from the catalogue when
 * there is one that says something else. */
function signedWithEnglish(signed: Json | undefined, english: Json | undefined, locale: string): { signed: string; translation: string } {
  const text = s(signed)
  const translation = locale === 'en' ? s(english) : ''
  return { signed: text, translation: translation && translation !== text ? translation : '' }
}

/** How the review screen names a part: `name`, the text the customer signs (`parts.name` is in
 * the content, `name_en` is not), and for an English-speaking customer the catalogue's
 * `name_en` as a secondary line, only when there is one that says something else. */
export function reviewPartName(part: Rec | undefined, locale: string): { signed: string; translation: string } {
  return signedWithEnglish(part?.name, part?.name_en, locale)
}

/** How the review screen gives a part's unit, as :func:`reviewPartName` gives its name: `unit`,
 * the text the customer signs, and for an English-speaking customer the catalogue's `unit_en`
 * as a translation, only when there is one that says something else (台 → set). */
export function reviewPartUnit(part: Rec | undefined, locale: string): { signed: string; translation: string } {
  return signedWithEnglish(part?.unit, part?.unit_en, locale)
}

/** The review screen's secondary line for a part line, for an English-speaking customer: the
 * name's and the unit's translations ("Compressor 3 HP · 2 set"), or '' when neither says
 * anything the signed text does not. */
export function reviewPartTranslation(part: Rec | undefined, quantity: Json | undefined, locale: string): string {
  const unit = reviewPartUnit(part, locale).translation
  return [reviewPartName(part, locale).translation, unit && `${Number(quantity)} ${unit}`].filter(Boolean).join(' · ')
}

/** The content input of a job as this device's replica holds it (joined with the catalogue). */
export function contentOf(view: View, jobId: string): ContentInput | null {
  const job = view.get(key('jobs', jobId))
  if (!job) return null
  const customer = view.get(key('customers', s(job.customer_id))) ?? {}
  const site = job.site_id ? view.get(key('sites', s(job.site_id))) ?? null : null
  const asset = job.asset_id ? view.get(key('assets', s(job.asset_id))) ?? null : null
  const children = (entity: string): Rec[] =>
    [...view.entries()].filter(([k, r]) => k.startsWith(entity + ':') && r.job_id === jobId).map(([, r]) => r)
  return {
    job: {
      number: s(job.number),
      fault_description: s(job.fault_description),
      diagnosis: s(job.diagnosis),
      cause: s(job.cause),
      work_done: s(job.work_done),
      advice: s(job.advice),
    },
    customer: { name: s(customer.name) },
    site: site ? { name: s(site.name), address: s(site.address) } : null,
    asset: asset ? { model: s(asset.model), serial: s(asset.serial) } : null,
    part_lines: children('part_lines').map((l) => {
      const part = view.get(key('parts', s(l.part_id))) ?? {}
      return {
        id: s(l.id),
        part_code: s(part.code),
        part_name: s(part.name),
        unit: s(part.unit),
        quantity: s(l.quantity),
        billing: s(l.billing),
        note: s(l.note),
        removed_at: l.removed_at ?? null,
      }
    }),
    photos: children('photos').map((p) => ({
      id: s(p.id),
      blob_sha256: s(p.blob_sha256),
      category: s(p.category),
      caption: s(p.caption),
      removed_at: p.removed_at ?? null,
    })),
    receipts: children('repair_receipts').map((r) => ({
      id: s(r.id),
      item_description: s(r.item_description),
      serial: s(r.serial),
      fault: s(r.fault),
      accessories: s(r.accessories),
    })),
  }
}
