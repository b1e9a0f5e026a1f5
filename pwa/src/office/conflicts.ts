// The reconciliation screen's lists (GET /api/conflicts answers at most 500 at a time).
import { get } from './api'
import type { Conflict, Page } from './types'

export const CONFLICT_PAGE = 500

/** A list as shown, with how many there are in all (more than shown only for resolved ones). */
export interface ConflictListing {
  items: Conflict[]
  total: number
}

/** Every open conflict, oldest first (the longest waiting on top); resolved ones latest decision
 * first, the latest page of them: the history only grows, and the screen is for what was just
 * decided (the API pages further back with `offset`). */
export async function conflictList(status: 'open' | 'resolved'): Promise<ConflictListing> {
  const path = (offset: number, order: string) =>
    `/api/conflicts?status=${status}&order=${order}&offset=${offset}&limit=${CONFLICT_PAGE}`
  if (status === 'resolved') {
    const page = await get<Page<Conflict>>(path(0, 'decided'))
    return { items: page.items, total: page.total }
  }
  // Every open one: each waits for a decision, and one beyond a page would never get it.
  let page = await get<Page<Conflict>>(path(0, 'created'))
  const open = [...page.items]
  while (page.items.length === CONFLICT_PAGE && open.length < page.total) {
    page = await get<Page<Conflict>>(path(open.length, 'created'))
    open.push(...page.items)
  }
  return { items: open, total: Math.max(page.total, open.length) }
}
