// The department's clock, for the engineer app and the office console alike. No imports: the
// console must not pull the app's replica store into its bundle through this module.

/** The department's time zone (FIELDSYNC_TIMEZONE's default): its dates are the days the
 * warranty counts (sync/rules/warranty.py) and its clock the one SLA times are read on. */
export const DEPARTMENT_TIME_ZONE = 'Asia/Shanghai'

/** An instant's wall clock in the department: [year, month (1-12), day, hour, minute, second]. */
export type Wall = [number, number, number, number, number, number]

// Built once: a DateTimeFormat is costly to make, and lists ask for every job's day.
const FORMAT = new Intl.DateTimeFormat('en-US', {
  timeZone: DEPARTMENT_TIME_ZONE,
  hourCycle: 'h23',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  second: '2-digit',
})
const FIELDS = ['year', 'month', 'day', 'hour', 'minute', 'second'] as const

/** The department's wall clock at `instant`, whatever zone this device is set to. */
export function wallClock(instant: Date): Wall {
  const parts = FORMAT.formatToParts(instant)
  return FIELDS.map((f) => Number(parts.find((p) => p.type === f)?.value)) as Wall
}

/** The instant at which the department's wall clock reads `wall` (seconds optional). */
export function departmentAt(year: number, month: number, day: number, hour = 0, minute = 0, second = 0): Date {
  const asUtc = Date.UTC(year, month - 1, day, hour, minute, second)
  const [y, mo, d, h, mi, s] = wallClock(new Date(asUtc))
  const shown = Date.UTC(y, mo - 1, d, h, mi, s)
  return new Date(asUtc - (shown - asUtc))
}

const pad = (n: number) => String(n).padStart(2, '0')

/** YYYY-MM-DD of `on` in the department's time zone (not UTC: 00:00–08:00 there is the day
 * before in UTC). */
export function departmentDate(on: Date): string {
  const [y, mo, d] = wallClock(on)
  return `${y}-${pad(mo)}-${pad(d)}`
}

/** YYYY-MM of `now` in the department: the server counts the month's figures and van stock
 * there (month_bounds), so on the 1st before 08:00 it is already the new month. */
export function departmentMonth(now: Date): string {
  return departmentDate(now).slice(0, 7)
}

/** M/D HH:MM of an instant on the department's clock. */
export function departmentShortTime(instant: Date): string {
  const [, mo, d, h, mi] = wallClock(instant)
  return `${mo}/${d} ${pad(h)}:${pad(mi)}`
}

/** A deadline's wall clock in the department: midnight reads 24:00 of the day that ends then,
 * as docs/sla.md and the regulations count ("within three working days" ends at 24:00 of the
 * third), not 00:00 of the next day, which reads like a day more. */
export function dueWall(instant: Date): Wall {
  const wall = wallClock(instant)
  const [, , , h, mi, s] = wall
  if (h !== 0 || mi !== 0 || s !== 0) return wall
  const [y, mo, d] = wallClock(new Date(instant.getTime() - 1000))
  return [y, mo, d, 24, 0, 0]
}

/** M/D HH:MM of a deadline on the department's clock (midnight as 24:00 of the day before). */
export function departmentShortDue(instant: Date): string {
  const [, mo, d, h, mi] = dueWall(instant)
  return `${mo}/${d} ${pad(h)}:${pad(mi)}`
}
