// The customers and equipment screen's rules (views/Customers.vue): forms from records, the
// PATCH of only what changed (with the version the form was opened on), and warranty wording.
import { changedText } from './edits'
import { isOfficeRole } from './menus'
import type { Asset, Customer, Site, WarrantyStatus } from './types'

export interface ContactForm { name: string; title: string; phone: string; email: string }
export interface CustomerForm {
  name: string
  phone: string
  email: string
  address: string
  locale: 'zh-CN' | 'en'
  notes: string
  contacts: ContactForm[]
}
export interface SiteForm { name: string; address: string; region_id: string }
export interface AssetForm {
  site_id: string
  model: string
  serial: string
  name: string
  /** YYYY-MM-DD, or null: no acceptance date on record. */
  acceptance_date: string | null
  /** null (or undefined, an emptied number box): the usual 24 months. */
  warranty_months: number | null | undefined
  /** A contract's last day of warranty, YYYY-MM-DD; null: none, the server works the end out. */
  contract_end: string | null
  contract_ref: string
}

type Body = Record<string, unknown>

/** The longest texts the server takes (api/domain/customers/schemas.py), for the inputs' maxlength. */
export const CUSTOMER_MAX = { name: 200, phone: 40, email: 200, address: 300, notes: 5000 } as const
export const CONTACT_MAX = { name: 100, title: 100, phone: 40, email: 200 } as const
export const SITE_MAX = { name: 200, address: 300 } as const
export const ASSET_MAX = { model: 100, serial: 100, name: 200, contract_ref: 100 } as const

/** The texts naming the fields of a customer, contact, site or asset, by the server's key. */
const FIELD_TEXT: Record<string, string> = {
  name: 'intake.name', code: 'customers.code', phone: 'intake.phone', email: 'customers.email', address: 'intake.address',
  locale: 'customers.locale', notes: 'customers.notes', contacts: 'customers.contacts', title: 'customers.contactTitle',
  region_id: 'customers.region', site_id: 'intake.site', model: 'intake.model', serial: 'intake.serial',
  acceptance_date: 'intake.accepted', warranty_months: 'customers.warrantyMonths', warranty_end: 'customers.contractEnd',
  contract_ref: 'customers.contractRef',
}

/** A field the server refused (`phone`, `contacts[1].phone`, `contacts[1]`) in the desk's
 * language: a contact's field with the contact's number from 1 ("Phone of contact 2"); a key
 * it does not know as it is. */
export function fieldLabel(key: string, t: (key: string, args?: Record<string, unknown>) => string): string {
  const named = (k: string) => (FIELD_TEXT[k] ? t(FIELD_TEXT[k]) : k)
  const contact = /^contacts\[(\d+)\](?:\.(\w+))?$/.exec(key)
  if (!contact) return named(key)
  const n = Number(contact[1]) + 1
  if (!contact[2]) return t('customers.contactN', { n })
  return t('customers.contactField', { n, field: contact[2] === 'name' ? t('customers.contactName') : named(contact[2]) })
}

const clean = (s: string) => s.trim()

export function emptyCustomer(name = ''): CustomerForm {
  return { name, phone: '', email: '', address: '', locale: 'zh-CN', notes: '', contacts: [] }
}

export function customerForm(c: Customer): CustomerForm {
  return {
    name: c.name,
    phone: c.phone,
    email: c.email,
    address: c.address,
    locale: c.locale,
    notes: c.notes,
    contacts: c.contacts.map((p) => ({ name: p.name, title: p.title, phone: p.phone, email: p.email })),
  }
}

/** The contacts to send: trimmed, rows left wholly blank dropped (an added row not filled in). */
export function contactsOf(rows: ContactForm[]): ContactForm[] {
  return rows
    .map((r) => ({ name: clean(r.name), title: clean(r.title), phone: clean(r.phone), email: clean(r.email) }))
    .filter((r) => r.name || r.title || r.phone || r.email)
}

/** A contact row with a phone, title or e-mail but no name: the server needs the name. */
export function contactsMissingName(rows: ContactForm[]): boolean {
  return contactsOf(rows).some((r) => !r.name)
}

const sameContacts = (a: ContactForm[], b: ContactForm[]) =>
  a.length === b.length &&
  a.every((x, i) => x.name === b[i].name && x.title === b[i].title && x.phone === b[i].phone && x.email === b[i].email)

/** With the version the form was opened on: a colleague's save meanwhile is refused (409), not undone. */
const versioned = (body: Body, version: number): Body | null =>
  Object.keys(body).length ? { ...body, version } : null

/** The PATCH of a customer: only the changed fields, the contact list whole when it changed
 * (the server replaces the list); null when nothing changed. */
export function customerPatch(c: Customer, form: CustomerForm): Body | null {
  const body: Body = changedText(c, form, ['name', 'phone', 'email', 'address', 'notes'] as const)
  if (form.locale !== c.locale) body.locale = form.locale
  const contacts = contactsOf(form.contacts)
  if (!sameContacts(contacts, contactsOf(customerForm(c).contacts))) body.contacts = contacts
  return versioned(body, c.version)
}

/** The POST of a new customer (the server gives it its code). */
export function newCustomerBody(form: CustomerForm): Body {
  return {
    name: clean(form.name),
    phone: clean(form.phone),
    email: clean(form.email),
    address: clean(form.address),
    locale: form.locale,
    notes: clean(form.notes),
    contacts: contactsOf(form.contacts),
  }
}

export function siteForm(s: Site): SiteForm {
  return { name: s.name, address: s.address, region_id: s.region_id ?? '' }
}

export function sitePatch(s: Site, form: SiteForm): Body | null {
  const body: Body = changedText(s, form, ['name', 'address'] as const)
  if ((form.region_id || null) !== s.region_id) body.region_id = form.region_id || null
  return versioned(body, s.version)
}

export function newSiteBody(customerId: string, form: SiteForm): Body {
  const body: Body = { customer_id: customerId, name: clean(form.name), address: clean(form.address) }
  if (form.region_id) body.region_id = form.region_id
  return body
}

export function emptyAsset(siteId = ''): AssetForm {
  return {
    site_id: siteId, model: '', serial: '', name: '', acceptance_date: null, warranty_months: null,
    contract_end: null, contract_ref: '',
  }
}

export function assetForm(a: Asset): AssetForm {
  return {
    site_id: a.site_id,
    model: a.model,
    serial: a.serial,
    name: a.name,
    acceptance_date: a.acceptance_date,
    warranty_months: a.warranty_months,
    contract_end: a.warranty_end_given ? a.warranty_end : null,
    contract_ref: a.contract_ref,
  }
}

const months = (m: number | null | undefined) => (typeof m === 'number' && Number.isFinite(m) ? m : null)

/** The PATCH of an asset; null when nothing changed. A contract end is sent when one is set,
 * changed or removed: set, the server keeps it however the acceptance date moves; removed (null),
 * the server works the end out again from the acceptance date and months. A worked-out end is
 * never sent: it follows those on the server. */
export function assetPatch(a: Asset, form: AssetForm): Body | null {
  const body: Body = changedText(a, form, ['site_id', 'model', 'serial', 'name', 'contract_ref'] as const)
  if ((form.acceptance_date || null) !== a.acceptance_date) body.acceptance_date = form.acceptance_date || null
  if (months(form.warranty_months) !== a.warranty_months) body.warranty_months = months(form.warranty_months)
  const given = a.warranty_end_given ? a.warranty_end : null
  if ((form.contract_end || null) !== given) body.warranty_end = form.contract_end || null
  return versioned(body, a.version)
}

/** The POST of a new asset: what the form gives; the server works out the warranty end from the
 * acceptance date (and months) unless a contract end is given. */
export function newAssetBody(form: AssetForm): Body {
  const body: Body = { site_id: form.site_id, model: clean(form.model), serial: clean(form.serial), name: clean(form.name) }
  if (form.acceptance_date) body.acceptance_date = form.acceptance_date
  if (months(form.warranty_months) !== null) body.warranty_months = months(form.warranty_months)
  if (form.contract_end) body.warranty_end = form.contract_end
  if (clean(form.contract_ref)) body.contract_ref = clean(form.contract_ref)
  return body
}

/** Element Plus tag type of a warranty status: green in warranty, red expired, grey unknown. */
export function warrantyTone(status: WarrantyStatus): 'success' | 'danger' | 'info' {
  return status === 'in_warranty' ? 'success' : status === 'expired' ? 'danger' : 'info'
}

/** The `warranty.*` text of an asset's status, with its end date. */
export function warrantyText(a: Pick<Asset, 'warranty_status' | 'warranty_end'>): [string, { date: string }] {
  return [`warranty.${a.warranty_status}`, { date: a.warranty_end ?? '' }]
}

/** Where the asset's warranty end comes from, as a `customers.*` text: a contract's date, worked
 * out by the server from the acceptance date (with the months: the contract's or the usual
 * 24), or nothing yet (no acceptance date on record, or an end removed by hand). */
export function warrantySource(
  a: Pick<Asset, 'warranty_end' | 'warranty_end_given' | 'warranty_months' | 'acceptance_date'>,
): [string, { months: number }] {
  if (a.warranty_end === null) return [a.acceptance_date ? 'customers.endMissing' : 'customers.endNone', { months: 24 }]
  if (a.warranty_end_given) return ['customers.endContract', { months: 24 }]
  return ['customers.endDerived', { months: a.warranty_months ?? 24 }]
}

/** The first contact of a customer, "name · phone", or ''. */
export function contactLine(c: Customer): string {
  const p = c.contacts[0]
  if (!p) return ''
  return [p.name, p.phone].filter(Boolean).join(' · ')
}

/** Where a job of the equipment's history opens: its page (the review queue's, which every
 * office role may read; only a supervisor decides there). */
export function jobLink(role: string, jobId: string): string | null {
  return isOfficeRole(role) ? `/review/${jobId}` : null
}

/** Whether a refused save (409) was refused because someone saved the record since the form
 * was opened (its version moved on), rather than for another reason (a serial already taken). */
export function changedMeanwhile(sentVersion: number, current: { version: number } | null): boolean {
  return current !== null && current.version !== sentVersion
}
