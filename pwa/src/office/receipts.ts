// Items taken back for repair (客户产品返修收据) at the desk: the moves a receipt allows, its
// promise's state, the desk's check of a move's time, and the list's query. Which move may be
// taken back, and how early a move may be dated, the server answers with each receipt
// (`undo_to`, `earliest_move_at`). Pure: the views word what these return (text/receipts.ts).
import type { ReceiptItem, ReceiptStatus } from './types'

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

/** The promise date changes until the item is back with the customer, or the receipt is
 * withdrawn (then it is refused). */
export function mayPromise(status: ReceiptStatus): boolean {
  return status === 'taken' || status === 'in_workshop'
}

/** Only a receipt the office has not logged in or out is withdrawn (written by mistake). */
export function mayWithdraw(status: ReceiptStatus): boolean {
  return status === 'taken'
}

/** What the desk's dialog does: a move forward, taking the latest move back, or withdrawing. */
export type MoveKind = 'move' | 'undo' | 'withdraw'

/** How far ahead of the server a desk PC's clock may be (the server takes such a time as now). */
export const CLOCK_SLACK_MS = 5 * 60_000

/** What is wrong with dating a move at `at` (an ISO instant), `now` being the desk's clock in
 * ms: later than now, or before the earliest time the server said a move may name (the log's
 * latest line, or the taking); null when the server will take it. */
export function whenProblem(r: Pick<ReceiptItem, 'earliest_move_at'>, at: string, now: number): 'future' | 'early' | null {
  const when = Date.parse(at)
  if (when > now + CLOCK_SLACK_MS) return 'future'
  if (when < Date.parse(r.earliest_move_at)) return 'early'
  return null
}

/** The request of a move: forward (into the workshop, back to the customer) with its note and
 * time (null: the server's now), or taking back the latest move with its reason, on its own
 * route. Both carry the version the desk saw: a colleague's move meanwhile is refused (409),
 * never taken back or repeated in its place. */
export function moveRequest(
  r: Pick<ReceiptItem, 'id' | 'version'>,
  m: { kind: MoveKind; to: ReceiptStatus; note: string; at: string | null },
): { path: string; body: Record<string, unknown> } {
  const base = `/api/receipts/${encodeURIComponent(r.id)}`
  if (m.kind === 'move') return { path: `${base}/moves`, body: { to: m.to, note: m.note, at: m.at, version: r.version } }
  return { path: `${base}/${m.kind}`, body: { note: m.note, version: r.version } }
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
export const STATUS_FILTERS: readonly StatusFilter[] = ['open', 'taken', 'in_workshop', 'returned', 'void', 'all']

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

/** The tag colour of a status: with the engineer, in the workshop, back with the customer,
 * withdrawn. */
export function statusTag(status: ReceiptStatus): 'warning' | 'primary' | 'success' | 'info' {
  if (status === 'void') return 'info'
  return status === 'taken' ? 'warning' : status === 'in_workshop' ? 'primary' : 'success'
}

/** The longest note a move takes (api/domain/receipts/schemas.py Note). */
export const MOVE_NOTE_MAX = 2000
