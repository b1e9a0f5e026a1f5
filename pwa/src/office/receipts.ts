// Items taken back for repair (客户产品返修收据) at the desk: the moves a receipt allows, its
// promise's state, how early a move may be dated, and the list's query. Pure: the views word
// what these return (text/receipts.ts).
import type { ReceiptEvent, ReceiptItem, ReceiptStatus } from './types'

/** A move forward: into the workshop (an "in" line of the register) or back to the customer
 * (an "out" line). */
export type Move = 'in_workshop' | 'returned'

/** The moves forward the desk may make from `status` (api/domain/receipts/services.py FORWARD):
 * an item repaired elsewhere may go straight back to the customer. */
export function movesFrom(status: ReceiptStatus): Move[] {
  if (status === 'taken') return ['in_workshop', 'returned']
  if (status === 'in_workshop') return ['returned']
  return []
}

/** The promise date changes until the item is back with the customer (then it is refused). */
export function mayPromise(status: ReceiptStatus): boolean {
  return status !== 'returned'
}

/** The desk's moves (in, out) still standing, oldest first: each undo takes back the latest. */
export function standingMoves(events: readonly ReceiptEvent[]): ReceiptEvent[] {
  const standing: ReceiptEvent[] = []
  for (const e of events) {
    if (e.direction === 'undo') standing.pop()
    else if (e.direction !== 'taken') standing.push(e)
  }
  return standing
}

/** The status taking back the latest move returns to (the one it left), or null when there is
 * no move to take back: the item is still with the engineer as taken. */
export function undoTarget(r: Pick<ReceiptItem, 'status' | 'events'>): ReceiptStatus | null {
  if (r.status === 'taken') return null
  const standing = standingMoves(r.events)
  if (!standing.length) return null
  return standing.length > 1 && standing[standing.length - 2].direction === 'in' ? 'in_workshop' : 'taken'
}

/** The earliest a move may be dated: the latest standing move (an item is not returned before
 * it came in), else when the item was taken; `after` says which. */
export function earliestMove(r: Pick<ReceiptItem, 'taken_at' | 'events'>): { at: string; after: 'taken' | 'in' | 'out' } {
  const last = standingMoves(r.events).at(-1)
  return last ? { at: last.at, after: last.direction as 'in' | 'out' } : { at: r.taken_at, after: 'taken' }
}

/** How far ahead of the server a desk PC's clock may be (the server takes such a time as now). */
export const CLOCK_SLACK_MS = 5 * 60_000

/** What is wrong with dating a move at `at` (an ISO instant), `now` being the desk's clock in
 * ms: later than now, or before the item's last move; null when the server will take it. */
export function whenProblem(r: Pick<ReceiptItem, 'taken_at' | 'events'>, at: string, now: number): 'future' | 'early' | null {
  const when = Date.parse(at)
  if (when > now + CLOCK_SLACK_MS) return 'future'
  if (when < Date.parse(earliestMove(r).at)) return 'early'
  return null
}

/** Where the promise to the customer stands: none made; still to keep; broken (not back by the
 * promised time, now past); kept; or kept late (returned after it). */
export type PromiseState = 'none' | 'pending' | 'overdue' | 'kept' | 'late'

export function promiseState(
  r: Pick<ReceiptItem, 'status' | 'promised_at' | 'returned_at' | 'overdue'>,
  now: number,
): PromiseState {
  if (!r.promised_at) return 'none'
  const due = Date.parse(r.promised_at)
  if (r.status === 'returned') return r.returned_at && Date.parse(r.returned_at) > due ? 'late' : 'kept'
  // The server's word at its answer, or the clock since: a screen left open turns it red.
  return r.overdue || due < now ? 'overdue' : 'pending'
}

/** The list's status filter: not yet returned (the desk's work list), one status, or all. */
export type StatusFilter = 'open' | ReceiptStatus | 'all'
export const STATUS_FILTERS: readonly StatusFilter[] = ['open', 'taken', 'in_workshop', 'returned', 'all']

export interface ReceiptFilters {
  status: StatusFilter
  overdue: boolean
  q: string
}

/** The list asked for with these filters (the pager adds offset and limit). */
export function receiptsPath(f: ReceiptFilters): string {
  const q = new URLSearchParams()
  if (f.status === 'open') q.set('open', 'true')
  else if (f.status !== 'all') q.set('status', f.status)
  if (f.overdue) q.set('overdue', 'true')
  const text = f.q.trim()
  if (text) q.set('q', text)
  const query = q.toString()
  return query ? `/api/receipts?${query}` : '/api/receipts'
}

/** The in/out register (客户产品进出登记) of a period (YYYY-MM, YYYY-Qn or YYYY) as Excel. */
export function registerPath(period: string): string {
  return `/api/receipts/register.xlsx?period=${encodeURIComponent(period)}`
}

export function registerFile(period: string): string {
  return `fieldsync-receipts-register-${period}.xlsx`
}

/** The tag colour of a status: with the engineer, in the workshop, back with the customer. */
export function statusTag(status: ReceiptStatus): 'warning' | 'primary' | 'success' {
  return status === 'taken' ? 'warning' : status === 'in_workshop' ? 'primary' : 'success'
}

/** The longest note a move takes (api/domain/receipts/schemas.py Note). */
export const MOVE_NOTE_MAX = 2000
