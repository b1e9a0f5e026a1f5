// SLA countdowns on the board: the time left to a due moment, ticking each second.

/** "2d 03:04:05", "03:04:05", or "-00:12:30" once the deadline has passed; `days` words the
 * days in the reader's language ("2天" in Chinese). */
export function formatCountdown(dueIso: string, now: number, days: (n: number) => string = (n) => `${n}d`): string {
  const ms = new Date(dueIso).getTime() - now
  if (Number.isNaN(ms)) return '—'
  const sign = ms < 0 ? '-' : ''
  let s = Math.floor(Math.abs(ms) / 1000)
  const whole = Math.floor(s / 86400)
  s -= whole * 86400
  const hh = Math.floor(s / 3600)
  const mm = Math.floor((s % 3600) / 60)
  const ss = s % 60
  const pad = (n: number) => String(n).padStart(2, '0')
  const clock = `${pad(hh)}:${pad(mm)}:${pad(ss)}`
  return `${sign}${whole > 0 ? `${days(whole)} ` : ''}${clock}`
}

export type Tone = 'ok' | 'at_risk' | 'breached' | 'done'

/** The tone of a clock: its server state, or breached once its deadline passed while shown. */
export function toneOf(state: string, dueIso: string, now: number): Tone {
  if (state === 'met' || state === 'missed') return 'done'
  // Exactly at the due time the clock is still at risk, as on the server (docs/sla.md).
  if (new Date(dueIso).getTime() < now) return 'breached'
  if (state === 'at_risk' || state === 'breached') return state
  return 'ok'
}

/** The clock the dispatcher races: the plan until it is given, then arrival on site, then,
 * once the work is settled, the customer's call-back (the board lists it when at risk too). */
export function runningClock(sla: {
  plan: string; plan_due: string; on_site: string; on_site_due: string
  callback?: string | null; callback_due?: string | null
}): { clock: 'plan' | 'on_site' | 'callback'; due: string; state: string } | null {
  const running = (s: string | null | undefined) => s === 'ok' || s === 'at_risk' || s === 'breached'
  if (running(sla.plan)) return { clock: 'plan', due: sla.plan_due, state: sla.plan }
  if (running(sla.on_site)) return { clock: 'on_site', due: sla.on_site_due, state: sla.on_site }
  if (running(sla.callback) && sla.callback_due) return { clock: 'callback', due: sla.callback_due, state: sla.callback! }
  return null
}
