// Finding a job by the number a user typed (settlement's "Load", a complaint's job).
import { get } from './api'
import type { JobSummary, Page } from './types'

/** The job numbered `text` (FS-2026-000123, any case; or an unambiguous tail such as 000123),
 * or null. `/api/jobs?q=` also matches customer names, phones and fault texts, newest first:
 * its first hit is not "the job with this number", so a typo must not pick some other job. */
export async function jobByNumber(text: string, customerId?: string): Promise<JobSummary | null> {
  const q = text.trim()
  if (!q) return null
  const params = new URLSearchParams({ q, limit: '50' })
  if (customerId) params.set('customer_id', customerId)
  const page = await get<Page<JobSummary>>(`/api/jobs?${params}`)
  const wanted = q.toLowerCase()
  const exact = page.items.find((j) => j.number.toLowerCase() === wanted)
  if (exact) return exact
  const partial = page.items.filter((j) => j.number.toLowerCase().includes(wanted))
  const seenAll = page.total <= page.items.length
  return seenAll && partial.length === 1 ? partial[0] : null
}
