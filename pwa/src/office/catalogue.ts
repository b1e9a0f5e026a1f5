// The parts catalogue and stock screen's logic (api/domain/catalogue/controllers.py): the wire
// shapes, what a price or quantity typed at the desk means, the PATCH of what an edit changed,
// the body of a stock movement and how a recorded movement reads. No Vue, no i18n: the screen
// turns the keys these return into words.
import { canonicalQuantity } from '../canonical'
import { partName, partUnit } from '../part-text'
import { changedText } from './edits'
import type { UserRow } from './types'

export interface Part {
  id: string
  code: string
  name: string
  name_en: string
  unit: string
  unit_en: string
  /** Yuan with fen, as the server writes a Decimal: "800.00". */
  price: string
  active: boolean
  version: number
}

export interface StockLocation {
  id: string
  kind: 'warehouse' | 'van'
  name: string
  engineer_id: string | null
}

export interface StockLevel {
  part_id: string
  code: string
  name: string
  name_en: string
  unit: string
  unit_en: string
  /** Thousandths: "2.000"; below zero when a van's part was used beyond its stock. */
  quantity: string
}

export interface StockMovement {
  id: string
  part_id: string
  code: string
  name: string
  name_en: string
  unit: string
  unit_en: string
  from_location_id: string | null
  to_location_id: string | null
  quantity: string
  reason: string
  job_id: string | null
  job_number: string | null
  created_by: string | null
  created_at: string
}

/** The server's bounds (check_price, check_quantity in the catalogue controllers). */
export const PRICE_PLACES = 2
export const MAX_PRICE = '99999999.99'
export const QUANTITY_PLACES = 3
export const MAX_QUANTITY = '1000000'

export type EntryError = 'required' | 'notNumber' | 'negative' | 'notPositive' | 'places' | 'tooLarge'

/** A typed number: its canonical text to send, or why it cannot be sent (with the numbers the
 * message names). */
export type Entry =
  | { ok: true; value: string }
  | { ok: false; error: EntryError; params: Record<string, string | number> }

interface Decimal {
  negative: boolean
  whole: string
  fraction: string
}

/** Digits as typed on a Chinese keyboard too: full-width ０-９ and ．/。 for the point, spaces
 * dropped; a leading ¥ or ￥ (a price) is dropped as well. */
function normalise(text: string): string {
  return text
    .replace(/[０-９]/g, (c) => String.fromCharCode(c.charCodeAt(0) - 0xfee0))
    .replace(/[．。]/g, '.')
    .replace(/[－]/g, '-')
    .replace(/\s+/g, '')
    .replace(/^[¥￥]/, '')
}

function parse(text: string): Decimal | null {
  const m = /^([+-]?)(\d*)(?:\.(\d*))?$/.exec(normalise(text))
  if (!m || (m[2] === '' && (m[3] ?? '') === '')) return null
  return { negative: m[1] === '-', whole: m[2].replace(/^0+(?=\d)/, '') || '0', fraction: (m[3] ?? '').replace(/0+$/, '') }
}

const isZero = (d: Decimal) => /^0*$/.test(d.whole) && d.fraction === ''

/** `d` with exactly `places` decimals ("12.5", 2 → "12.50"); its fraction must fit. */
function fixed(d: Decimal, places: number): string {
  const sign = d.negative && !isZero(d) ? '-' : ''
  return places === 0 ? `${sign}${d.whole}` : `${sign}${d.whole}.${d.fraction.padEnd(places, '0')}`
}

/** a ≤ b for non-negative decimals written with the same number of places. */
function atMost(a: string, b: string): boolean {
  const [aw, af = ''] = a.split('.')
  const [bw, bf = ''] = b.split('.')
  if (aw.length !== bw.length) return aw.length < bw.length
  return `${aw}.${af}` <= `${bw}.${bf}`
}

function entry(text: string, places: number, max: string, positive: boolean): Entry {
  const params = { places, max }
  if (!normalise(text)) return { ok: false, error: 'required', params }
  const d = parse(text)
  if (!d) return { ok: false, error: 'notNumber', params }
  if (d.negative && !isZero(d)) return { ok: false, error: positive ? 'notPositive' : 'negative', params }
  if (positive && isZero(d)) return { ok: false, error: 'notPositive', params }
  if (d.fraction.length > places) return { ok: false, error: 'places', params }
  const value = fixed({ ...d, negative: false }, places)
  if (!atMost(value, fixed(parse(max)!, places))) return { ok: false, error: 'tooLarge', params }
  return { ok: true, value: places === 0 ? value : value.replace(/\.?0+$/, '') || '0' }
}

/** A unit price typed at the desk: yuan and fen from 0 to 99,999,999.99. */
export function priceEntry(text: string): Entry {
  return entry(text, PRICE_PLACES, MAX_PRICE, false)
}

/** A quantity to move: above 0, at most 1,000,000, to a thousandth (metres of cable). */
export function quantityEntry(text: string): Entry {
  return entry(text, QUANTITY_PLACES, MAX_QUANTITY, true)
}

/** Two prices (as typed or as the server writes them) name the same amount: "12.5" = "12.50". */
function samePrice(a: string, b: string): boolean {
  const x = parse(a)
  const y = parse(b)
  return x !== null && y !== null && fixed(x, Math.max(x.fraction.length, y.fraction.length)) === fixed(y, Math.max(x.fraction.length, y.fraction.length))
}

/** A quantity as people write it: "2.000" → "2", "5.500" → "5.5", "-1.000" → "-1" (the
 * report's canonical quantity, with the sign a van's shortfall has). */
export function quantityText(quantity: string | number): string {
  const text = String(quantity).trim()
  const negative = text.startsWith('-')
  try {
    const q = canonicalQuantity(negative ? text.slice(1) : text)
    return negative && q !== '0' ? `-${q}` : q
  } catch {
    return text
  }
}

/** Below zero: a van's part used on jobs beyond what the van held (docs/settlement.md). */
export function isShort(quantity: string | number): boolean {
  const d = parse(String(quantity))
  return d !== null && d.negative && !isZero(d)
}

/** The part form: what the desk typed, as typed (the price too). */
export type PartDraft = Omit<Part, 'id' | 'version'>

export type PartField = 'code' | 'name' | 'unit' | 'price'

/** What stops the form from being sent, field by field (empty when nothing does). Lengths are
 * bounded by the inputs themselves. */
export function partDraftErrors(draft: PartDraft, isNew: boolean): Partial<Record<PartField, Entry & { ok: false }>> {
  const errors: Partial<Record<PartField, Entry & { ok: false }>> = {}
  const required = { ok: false as const, error: 'required' as const, params: {} }
  if (isNew && !draft.code.trim()) errors.code = required
  if (!draft.name.trim()) errors.name = required
  if (!draft.unit.trim()) errors.unit = required
  const price = priceEntry(draft.price)
  if (!price.ok) errors.price = price
  return errors
}

/** The form for a new part; the unit 个 as the importer gives a new part (docs/import.md). */
export function emptyPart(): PartDraft {
  return { code: '', name: '', name_en: '', unit: '个', unit_en: '', price: '', active: true }
}

/** The form for editing `part`. */
export function draftOf(part: Part): PartDraft {
  return { code: part.code, name: part.name, name_en: part.name_en, unit: part.unit, unit_en: part.unit_en, price: part.price, active: part.active }
}

/** The body of `POST /api/parts` (the draft checked by partDraftErrors first). */
export function newPartBody(draft: PartDraft): Record<string, string> {
  const price = priceEntry(draft.price)
  return {
    code: draft.code.trim(),
    name: draft.name.trim(),
    name_en: draft.name_en.trim(),
    unit: draft.unit.trim(),
    unit_en: draft.unit_en.trim(),
    price: price.ok ? price.value : draft.price.trim(),
  }
}

export type PartPatch = Partial<Pick<Part, 'name' | 'name_en' | 'unit' | 'unit_en' | 'price' | 'active'>> & { version?: number }

/** The body of `PATCH /api/parts/{id}`: only the fields the desk changed, with the version the
 * form was opened on, so that a colleague's save meanwhile is refused (409, see staleEdit) rather
 * than undone; `{}` when nothing changed. Text is trimmed (see changedText); a price that names the
 * same amount ("12.5" for "12.50") is no change. */
export function partChanges(part: Part, draft: PartDraft): PartPatch {
  const changes: PartPatch = changedText(part, draft, ['name', 'name_en', 'unit', 'unit_en'] as const)
  const price = priceEntry(draft.price)
  if (price.ok && !samePrice(price.value, part.price)) changes.price = price.value
  if (draft.active !== part.active) changes.active = draft.active
  return Object.keys(changes).length ? { ...changes, version: part.version } : changes
}

/** Whether the server refused an edit because the record changed since the form was opened
 * (code `changed_meanwhile`, `api/http.py check_version`): the form is then closed and the
 * record shown as it now is. */
export function staleEdit(refusal: { status: number; code: string | null }): boolean {
  return refusal.status === 409 && refusal.code === 'changed_meanwhile'
}

/** The three movements the desk records (`POST /api/stock/movements`). */
export type MoveKind = 'receive' | 'move' | 'writeOff'
export const MOVE_KINDS: readonly MoveKind[] = ['receive', 'move', 'writeOff']

export interface MoveDraft {
  kind: MoveKind
  part_id: string
  from: string
  to: string
  quantity: string
  reason: string
}

export type MoveField = 'part' | 'from' | 'to' | 'quantity' | 'reason'
export type MoveError = EntryError | 'sameLocation'

export interface MovementBody {
  part_id: string
  quantity: string
  reason: string
  from_location_id?: string
  to_location_id?: string
}

/** Where parts come from and go to for each kind. */
export const usesFrom = (kind: MoveKind) => kind !== 'receive'
export const usesTo = (kind: MoveKind) => kind !== 'writeOff'

/** The movement's body, or the first field that stops it: received parts go only "to", parts
 * written off leave only "from", a move names both (and two different places). */
export function movementBody(
  d: MoveDraft,
): { ok: true; body: MovementBody } | { ok: false; field: MoveField; error: MoveError; params: Record<string, string | number> } {
  const missing = (field: MoveField) => ({ ok: false as const, field, error: 'required' as const, params: {} })
  if (!d.part_id) return missing('part')
  if (usesFrom(d.kind) && !d.from) return missing('from')
  if (usesTo(d.kind) && !d.to) return missing('to')
  if (d.kind === 'move' && d.from === d.to) return { ok: false, field: 'to', error: 'sameLocation', params: {} }
  const quantity = quantityEntry(d.quantity)
  if (!quantity.ok) return { ok: false, field: 'quantity', error: quantity.error, params: quantity.params }
  if (!d.reason.trim()) return missing('reason')
  const body: MovementBody = { part_id: d.part_id, quantity: quantity.value, reason: d.reason.trim() }
  if (usesFrom(d.kind)) body.from_location_id = d.from
  if (usesTo(d.kind)) body.to_location_id = d.to
  return { ok: true, body }
}

/** What a recorded movement was: the desk's three, or the sync's stock taken for a job's part
 * line ("used on job") and given back when the line shrank or went ("returned from job"). */
export type MovementKind = 'received' | 'moved' | 'writtenOff' | 'usedOnJob' | 'returnedFromJob'

export function movementKind(m: Pick<StockMovement, 'from_location_id' | 'to_location_id' | 'job_id'>): MovementKind {
  if (m.job_id) return m.from_location_id ? 'usedOnJob' : 'returnedFromJob'
  if (m.from_location_id && m.to_location_id) return 'moved'
  return m.from_location_id ? 'writtenOff' : 'received'
}

/** The reasons the server writes itself (api/domain/sync/handlers.py), said in the desk's
 * language by these keys; any other reason was typed by a person and reads as written. */
const SERVER_REASONS: Record<string, MovementKind> = {
  'used on job': 'usedOnJob',
  'returned from job': 'returnedFromJob',
}

export function serverReason(reason: string): MovementKind | null {
  return SERVER_REASONS[reason] ?? null
}

/** A message key and its values: the screen says it with `t(key, params)`. */
export interface Said {
  key: string
  params: Record<string, string>
}

/** One line that says what a movement did: "Moved 2 set of P-1 Compressor from A to B". */
export function describeMovement(
  m: Pick<StockMovement, 'code' | 'name' | 'name_en' | 'unit' | 'unit_en' | 'quantity' | 'from_location_id' | 'to_location_id' | 'job_id' | 'job_number'>,
  placeName: (id: string) => string,
  locale: string,
): Said {
  const kind = movementKind(m)
  return {
    key: `catalogue.said.${kind}`,
    params: {
      quantity: quantityText(m.quantity),
      unit: partUnit(m, locale),
      part: `${m.code} ${partName(m, locale)}`,
      from: m.from_location_id ? placeName(m.from_location_id) : '',
      to: m.to_location_id ? placeName(m.to_location_id) : '',
      job: m.job_number ?? '',
    },
  }
}

/** A person as the users list gives them (`GET /api/users`). */
export type Person = Pick<UserRow, 'id' | 'username' | 'display_name'>

/** How the desk names a place (the key of its wording and the values it takes). */
export type Place =
  | { key: 'vanOf'; name: string }
  | { key: 'vanOfNamesake'; name: string; username: string }
  | { key: null; name: string }

/** How the desk names each place, by id: a van by its engineer ("李娜的车"), with the username
 * too when another van's engineer goes by the same name ("王伟(wangwei2)的车"), else the two
 * could not be told apart in a list; a van whose engineer is not known, and a warehouse, by the
 * location's own name. */
export function placesOf(locations: StockLocation[], people: Record<string, Person>): Map<string, Place> {
  const engineerOf = (l: StockLocation) => (l.kind === 'van' && l.engineer_id ? people[l.engineer_id] : undefined)
  const shown = (p: Person) => p.display_name.trim() || p.username
  const same = (p: Person) => shown(p).toLowerCase()
  const owners = new Map<string, Set<string>>() // a name as compared → the engineers going by it
  for (const l of locations) {
    const p = engineerOf(l)
    if (p) owners.set(same(p), (owners.get(same(p)) ?? new Set()).add(p.id))
  }
  return new Map(
    locations.map((l): [string, Place] => {
      const p = engineerOf(l)
      if (!p) return [l.id, { key: null, name: l.name }]
      const shared = (owners.get(same(p))?.size ?? 0) > 1
      return [l.id, shared ? { key: 'vanOfNamesake', name: shown(p), username: p.username } : { key: 'vanOf', name: shown(p) }]
    }),
  )
}

/** Warehouses first, then the vans by the name they are shown with. */
export function sortLocations(locations: StockLocation[], label: (l: StockLocation) => string, locale: string): StockLocation[] {
  const rank = (l: StockLocation) => (l.kind === 'warehouse' ? 0 : 1)
  return [...locations].sort((a, b) => rank(a) - rank(b) || label(a).localeCompare(label(b), locale))
}

/** The levels whose code or name (either language) holds `q`, case aside. */
export function filterLevels<T extends Pick<StockLevel, 'code' | 'name' | 'name_en'>>(levels: T[], q: string): T[] {
  const needle = q.trim().toLowerCase()
  if (!needle) return levels
  return levels.filter((l) => [l.code, l.name, l.name_en].some((s) => s.toLowerCase().includes(needle)))
}

/** The form's labels of the places, by kind: parts received go into a place, parts written off
 * leave one, a move has both (keys under `catalogue.`). */
export function placeLabels(kind: MoveKind): { from: string | null; to: string | null } {
  return { from: usesFrom(kind) ? `from_${kind}` : null, to: usesTo(kind) ? `to_${kind}` : null }
}

/** A location's name as typed: trimmed, and needed (the server refuses a blank one). */
export function locationName(text: string): Entry {
  const name = text.trim()
  return name ? { ok: true, value: name } : { ok: false, error: 'required', params: {} }
}

/** What the catalogue's own refusals mean, said in the desk's language (the screen shows the
 * server's words beneath), known by the error answer's code (api/error_codes.py); any other
 * refusal is shown as the console words it elsewhere. */
export function knownRefusal(
  refusal: { code: string | null; params: Record<string, unknown> | null },
  action: 'part' | 'move' | 'location',
): Said | null {
  const params = refusal.params ?? {}
  const text = (key: string) => {
    const value = params[key]
    return typeof value === 'string' || typeof value === 'number' ? String(value) : ''
  }
  if (action === 'move' && refusal.code === 'not_enough_stock') {
    return { key: 'catalogue.refused.notEnough', params: { held: quantityText(text('quantity') || '0') } }
  }
  if (action === 'part' && refusal.code === 'duplicate') return { key: 'catalogue.refused.duplicateCode', params: {} }
  if (action === 'location' && refusal.code === 'name_taken') return { key: 'catalogue.refused.nameTaken', params: { name: text('name') } }
  return null
}
