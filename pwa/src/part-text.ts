// How a catalogue part reads, for the engineer app and the office console alike. No imports:
// the console uses it too and must not pull in the engineer app's store.

const text = (v: unknown): string => (typeof v === 'string' ? v : v === null || v === undefined ? '' : String(v))

/** `part[english]` in English when the catalogue has it, else `part[recorded]`. */
function inLanguage(part: Record<string, unknown> | undefined, recorded: string, english: string, locale: string): string {
  return (locale === 'en' ? text(part?.[english]) : '') || text(part?.[recorded])
}

/** The part's unit in the interface's language: `unit_en` in English when the catalogue has
 * one, else `unit` (units are recorded in Chinese: 台, 个, 套). Not for what the customer signs:
 * the signed content holds `unit`, see `reviewPartUnit` in canonical.ts. */
export function partUnit(part: { unit?: unknown; unit_en?: unknown } | undefined, locale: string): string {
  return inLanguage(part, 'unit', 'unit_en', locale)
}

/** The part's name in the interface's language: `name_en` in English when the catalogue has
 * one, else `name`. Not for what the customer signs (the signed content holds `name`). */
export function partName(part: { name?: unknown; name_en?: unknown } | undefined, locale: string): string {
  return inLanguage(part, 'name', 'name_en', locale)
}
