// What an edit form changed, for a PATCH of only that: a field someone else changed meanwhile is
// then not written back with the value the form opened with.

/** The text fields of `form` that were changed since it opened with `opened` (the record as
 * stored), trimmed. A field left as it opened sends nothing, even where the stored text has
 * spaces around it that trimming would drop (an imported record saved unchanged is not written
 * again); an edited field sends nothing when trimmed it is the stored text again. */
export function changedText<K extends string>(
  opened: Readonly<Record<K, string>>,
  form: Readonly<Record<K, string>>,
  keys: readonly K[],
): Partial<Record<K, string>> {
  const out: Partial<Record<K, string>> = {}
  for (const k of keys) {
    if (form[k] === opened[k]) continue
    const value = form[k].trim()
    if (value !== opened[k]) out[k] = value
  }
  return out
}
