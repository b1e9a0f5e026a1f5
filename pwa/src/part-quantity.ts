// A part line's quantity on the phone: whole pieces or a measure, and what the van has left.
// No imports: pure rules for the parts screen, tested in tests/part-quantity.test.ts.

/** Units counted in whole pieces, as the catalogue records them (个, 台, 套) or in English
 * (`unit_en`: pc, set). Any other unit (米, kg, 升) is a measure: 1.5 m of pipe is a quantity. */
const COUNTED = new Set([
  '个', '只', '台', '套', '件', '块', '根', '卷', '支', '把', '片', '颗', '条', '盒', '箱', '包', '瓶', '组', '副', '对',
  'pc', 'pcs', 'piece', 'pieces', 'set', 'sets', 'roll', 'rolls', 'ea', 'each', 'unit', 'units', 'box', 'pair',
])

/** The quantity's bounds, as the server takes them (sync/wire.py `parse_quantity`). */
const MAX = 1_000_000
const PLACES = 3

/** Whether the part is counted in whole pieces (its `unit` or its `unit_en` is a count). */
export function countedPart(part: { unit?: unknown; unit_en?: unknown } | undefined): boolean {
  return [part?.unit, part?.unit_en].some((u) => typeof u === 'string' && COUNTED.has(u.trim().toLowerCase()))
}

/** The quantity to queue for what the stepper holds, as the server takes it (decimal text above
 * 0, at most 3 decimals, at most 1,000,000; whole for a counted part), or null while it is none:
 * "", "0" or "0." typed on the way to "0.5" queue nothing. */
export function quantityText(value: string | number, counted: boolean): string | null {
  const typed = String(value).trim()
  if (!/^[0-9]*\.?[0-9]*$/.test(typed) || !/[0-9]/.test(typed)) return null
  const scale = counted ? 1 : 10 ** PLACES
  const n = Math.round(Number(typed) * scale) / scale
  return n > 0 && n <= MAX ? String(n) : null
}

/** The stepper's lower bound: "−" stops at 1 of a counted part, and a measure may be typed down
 * to 0.001. A line already below 1 (an older app's "−") is shown as it is, not as 1. */
export function stepperMin(quantity: unknown, counted: boolean): number {
  const q = Number(quantity)
  return counted ? Math.min(1, q > 0 ? q : 1) : 10 ** -PLACES
}

/** "−" steps by 1 and never takes a line below 1: under 2 it is off (a smaller measure is typed). */
export const minusOff = (quantity: unknown): boolean => !(Number(quantity) >= 2)

/** A line that takes the van below zero: what the van held for it (none when the van has no
 * level for the part) and the quantity now recorded; null when the van still covers the change
 * or the line did not grow. `level` is the van's level read just before the change, net of the
 * line's `before` quantity already taken from it. */
export function vanShortfall(
  level: number | undefined,
  before: number,
  after: number,
): { had: number; quantity: number } | null {
  if (!(after > before)) return null
  const had = level === undefined ? 0 : Math.round((level + before) * 10 ** PLACES) / 10 ** PLACES
  return had - after < 0 ? { had: Math.max(0, had), quantity: after } : null
}
