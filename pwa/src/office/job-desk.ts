// The desk's edit of a job (JobDesk.vue): the form's fields, what a save sends, the form kept
// when the job is read again under it, and the contact of a job filed under another customer.
// Pure: the component words and sends what these return.
import type { Contact, JobDetail } from './types'

/** The fields of the edit form, as the job holds them ('' for no site or equipment). */
export interface JobDraft {
  customer_id: string
  fault_description: string
  urgency: string
  contact_name: string
  contact_phone: string
  office_notes: string
  handling_plan: string
  site_id: string
  asset_id: string
}

export function draftOf(d: JobDetail): JobDraft {
  return {
    customer_id: d.job.customer_id,
    fault_description: d.job.fault_description,
    urgency: d.job.urgency,
    contact_name: d.contact_name,
    contact_phone: d.contact_phone,
    office_notes: d.office_notes,
    handling_plan: d.handling_plan,
    site_id: d.job.site_id ?? '',
    asset_id: d.job.asset_id ?? '',
  }
}

/** The PATCH of the fields changed since the form opened on `opened` (the job at `version`), or
 * null when nothing changed. A job filed under another customer names its new site and
 * equipment, or none (null), so the old customer's do not stay. */
export function jobPatch(opened: JobDraft, draft: JobDraft, version: number): Record<string, unknown> | null {
  const body: Record<string, unknown> = {}
  for (const key of Object.keys(draft) as (keyof JobDraft)[]) {
    if (draft[key] === opened[key]) continue
    body[key] = (key === 'site_id' || key === 'asset_id') && !draft[key] ? null : draft[key]
  }
  if (!Object.keys(body).length) return null
  if ('customer_id' in body) {
    body.site_id = draft.site_id || null
    body.asset_id = draft.asset_id || null
  }
  return { ...body, version }
}

/** The form once the job was read again under it (a save refused because the job changed
 * meanwhile: a colleague's save, or the engineer's phone): what the desk changed stays as typed,
 * every other field shows the job as it now is, so saving again writes back nobody's old value. */
export function rebase(opened: JobDraft, draft: JobDraft, now: JobDraft): JobDraft {
  const out = { ...now }
  for (const key of Object.keys(draft) as (keyof JobDraft)[]) {
    if (draft[key] !== opened[key]) out[key] = draft[key]
  }
  // A site or equipment is chosen from one customer's file: with the desk's customer, the desk's.
  if (draft.customer_id !== opened.customer_id) [out.site_id, out.asset_id] = [draft.site_id, draft.asset_id]
  return out
}

/** A job's contact as the caller gave it. */
export interface JobContact {
  name: string
  phone: string
}

const digits = (phone: string) => phone.replace(/\D/g, '')
const sameName = (a: string, b: string) => !!a.trim() && a.trim().toLowerCase() === b.trim().toLowerCase()
const samePhone = (a: string, b: string) => !!digits(a) && digits(a) === digits(b)

/** The contact a job filed under another customer should carry: the new customer's first
 * contact when the job's contact is one of the old customer's (the same name, or the same phone
 * whatever its spaces and dashes), else null: a caller's own name and number stay, and so does
 * any contact when the new customer's file has none. */
export function contactOnMove(contact: JobContact, from: readonly Contact[], to: readonly Contact[]): JobContact | null {
  const first = to[0]
  if (!first) return null
  const theirs = from.some((c) => sameName(contact.name, c.name) || samePhone(contact.phone, c.phone))
  return theirs ? { name: first.name, phone: first.phone } : null
}
