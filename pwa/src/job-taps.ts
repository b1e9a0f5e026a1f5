// Which status taps the job screen offers, from the job and its trip log. No imports: pure,
// tested in tests/job-taps.test.ts.

/** Statuses before the engineer is on the way (sync/rules/lifecycle.py): "accept" (接单) says
 * they saw the assignment; once they depart or arrive, or the work is done, it says nothing. */
const ACCEPTABLE = new Set(['reported', 'accepted', 'assigned', 'reopened'])

/** Whether "accept" is offered: not yet acknowledged, and the job still before the trip. */
export function canAccept(job: { status?: unknown; acknowledged_at?: unknown } | undefined): boolean {
  return !!job && !job.acknowledged_at && ACCEPTABLE.has(String(job.status))
}

type Trip = { kind?: unknown; device_time?: unknown }

const timeOf = (trip: Trip): number => {
  const at = Date.parse(String(trip.device_time ?? ''))
  return Number.isNaN(at) ? -Infinity : at
}

/** Whether "left site" is logged after the last arrival (the trip log's `trip_events`, the
 * pending ones the phone shows included): a second "leave" would log a second departure. */
export function leftSinceArrival(trips: readonly Trip[]): boolean {
  const last = (kind: string) => Math.max(-Infinity, ...trips.filter((e) => e.kind === kind).map(timeOf))
  const left = trips.some((e) => e.kind === 'left')
  return left && last('left') >= last('arrived')
}
