// How a catalogue part reads, for the engineer app and the office console alike. No imports:
// the console uses it too and must not pull in the engineer app's store.

/** The part's unit in the interface's language: `unit_en` in English when the catalogue has
 * one, else `unit` (units are recorded in Chinese: 台, 个, 套). Not for what the customer signs:
 * the signed content holds `unit`, see `reviewPartUnit` in canonical.ts. */
export function partUnit(part: { unit?: unknown; unit_en?: unknown } | undefined, locale: string): string {
  const text = (v: unknown): string => (typeof v === 'string' ? v : v === null || v === undefined ? '' : String(v))
  const english = locale === 'en' ? text(part?.unit_en) : ''
  return english || text(part?.unit)
}
