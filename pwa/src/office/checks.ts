// Checks a screen makes before it sends a value, so the desk reads what is wrong in its own
// language rather than the server's English refusal (views/Settlement.vue, FollowUp.vue).
// Pure: the views word the codes these return.

/** The most labour hours a settlement takes (api/domain/settlement/schemas.py MAX_HOURS). */
export const MAX_LABOUR_HOURS = 1000

/** What is wrong with typed labour hours, or null when the server will take them: plain digits
 * with an optional decimal point (no sign, no exponent: "1e3" is not 1000 hours by accident),
 * at most 3 decimals, from 0 to 1000. An empty box is fine: it goes back to the default hours. */
export function labourHoursProblem(typed: string): 'format' | 'decimals' | 'range' | null {
  const text = typed.trim()
  if (!text) return null
  if (!/^(\d+(\.\d+)?|\.\d+)$/.test(text)) return 'format'
  if ((text.split('.')[1] ?? '').length > 3) return 'decimals'
  return Number(text) <= MAX_LABOUR_HOURS ? null : 'range'
}

/** The call-back as the dialog holds it: nothing chosen until the desk chooses. */
export interface CallBackForm {
  score: number
  satisfied: boolean | null
}

/** What the call-back still lacks before it may be saved (the server needs a score of 1 to 5
 * and whether the customer is satisfied: api/domain/jobs/schemas.py FollowUpIn), or null. */
export function callBackProblem(c: CallBackForm): 'score' | 'satisfied' | null {
  if (!Number.isInteger(c.score) || c.score < 1 || c.score > 5) return 'score'
  if (c.satisfied === null) return 'satisfied'
  return null
}

/** The text an "enter a value" decision on a conflict starts from: the device's value (the
 * engineer's newer work, to merge the other into; an engineer who emptied the field sent "",
 * and the box starts empty as said), else, where the device sent none, the server's; as text,
 * an absent value as nothing (never "null"). */
export function conflictEditSeed(c: { server_value: unknown; client_value: unknown }): string {
  const asText = (v: unknown): string =>
    v === null || v === undefined ? '' : typeof v === 'string' ? v : typeof v === 'object' ? JSON.stringify(v) : String(v)
  return c.client_value === null || c.client_value === undefined ? asText(c.server_value) : asText(c.client_value)
}

/** The server's longest office notes and remarks (api/domain/jobs/schemas.py LongText, FollowUpIn). */
export const OFFICE_NOTES_MAX = 10_000
export const CALLBACK_REMARKS_MAX = 2000
