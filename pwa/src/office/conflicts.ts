// The reconciliation screen's lists (GET /api/conflicts answers oldest first, at most 500).
import { get } from './api'
import type { Conflict, Page } from './types'

export const CONFLICT_PAGE = 500

/** Every open conflict, oldest first (the longest waiting on top); resolved ones newest decision
 * first, from the latest page: the history only grows, and its first page would be the
 * oldest 500, never the decision just taken. */
export async function conflictList(status: 'open' | 'resolved'): Promise<Conflict[]> {
  const path = (offset: number) => `/api/conflicts?status=${status}&offset=${offset}&limit=${CONFLICT_PAGE}`
  let page = await get<Page<Conflict>>(path(0))
  if (status === 'open') {
    // Every open one: each waits for a decision, and one beyond a page would never get it.
    const open = [...page.items]
    while (page.items.length === CONFLICT_PAGE && open.length < page.total) {
      page = await get<Page<Conflict>>(path(open.length))
      open.push(...page.items)
    }
    return open
  }
  if (page.total > page.items.length) page = await get<Page<Conflict>>(path(page.total - CONFLICT_PAGE))
  const at = (c: Conflict) => (c.resolved_at ? Date.parse(c.resolved_at) : 0)
  return [...page.items].sort((a, b) => at(b) - at(a))
}
