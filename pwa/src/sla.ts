// SLA badges from the job's clocks (docs/sla.md): the next due time that is still open.
import { departmentDate } from './department'
import type { Rec } from './mutators'

export type SlaState = 'ok' | 'at_risk' | 'overdue' | 'met' | 'late' | 'cancelled' | 'none'

export interface Sla {
  state: SlaState
  due: string | null
  clock: 'plan' | 'on_site' | null
}

const CLOSED = new Set(['work_done', 'signed', 'reviewed', 'settled', 'closed'])

export function slaOf(job: Rec, now: Date = new Date()): Sla {
  // Called off by the office: no clock runs, and it was not done either.
  if (job.status === 'cancelled') return { state: 'cancelled', due: null, clock: null }
  const clocks: ['plan' | 'on_site', string, string, unknown][] = [
    ['plan', 'plan_due_at', 'plan_at_risk_at', job.plan_given_at],
    ['on_site', 'on_site_due_at', 'on_site_at_risk_at', job.arrived_at],
  ]
  if (CLOSED.has(String(job.status))) {
    // Done: on time, or late when a clock stopped after its due time (at the due time is in
    // time, as on the server), so a missed deadline does not read as a met one.
    for (const [clock, dueKey, , done] of clocks) {
      const due = job[dueKey]
      if (typeof due === 'string' && typeof done === 'string' && new Date(done) > new Date(due)) {
        return { state: 'late', due, clock }
      }
    }
    return { state: 'met', due: null, clock: null }
  }
  for (const [clock, dueKey, riskKey, done] of clocks) {
    if (done) continue
    const due = job[dueKey]
    if (typeof due !== 'string') continue
    const risk = job[riskKey]
    // Exactly at the due time the clock is still at risk, as on the server (docs/sla.md).
    if (now > new Date(due)) return { state: 'overdue', due, clock }
    if (typeof risk === 'string' && now >= new Date(risk)) return { state: 'at_risk', due, clock }
    return { state: 'ok', due, clock }
  }
  return { state: 'none', due: null, clock: null }
}

/** Today's jobs: scheduled today (the department's day, Asia/Shanghai, whatever zone the phone
 * is set to), or open and due today or earlier. */
export function isToday(job: Rec, now: Date = new Date()): boolean {
  const today = departmentDate(now)
  const sameDay = (iso: unknown) => {
    const at = typeof iso === 'string' ? new Date(iso) : null
    return !!at && !Number.isNaN(at.getTime()) && departmentDate(at) === today
  }
  if (sameDay(job.scheduled_at)) return true
  const sla = slaOf(job, now)
  // A running clock only: a job done, even late, is no longer today's work.
  const running = sla.state === 'ok' || sla.state === 'at_risk' || sla.state === 'overdue'
  return running && sla.due !== null && new Date(sla.due) <= new Date(now.getTime() + 24 * 3600 * 1000)
}
