// Small display helpers shared by the screens.

import { DEPARTMENT_TIME_ZONE, departmentAt, departmentMonth, dueWall, wallClock } from '../department'

/** An instant as the department's wall clock (Asia/Shanghai), whatever zone the desk's PC is
 * set to: a visit booked for 09:00 there reads 09:00, as the engineer and the customer see it. */
export function dateTime(iso: string | null | undefined, locale: string): string {
  if (!iso) return '—'
  return new Date(iso).toLocaleString(locale === 'zh-CN' ? 'zh-CN' : 'en-GB', {
    timeZone: DEPARTMENT_TIME_ZONE,
    year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit',
  })
}

/** A deadline as the department's wall clock, as :func:`dateTime` shows instants, except that
 * midnight reads 24:00 of the day that ends then ("2026/12/02 24:00"), not 00:00 of the next. */
export function dueDateTime(iso: string | null | undefined, locale: string): string {
  if (!iso) return '—'
  const [y, mo, d, h, mi] = dueWall(new Date(iso))
  if (h !== 24) return dateTime(iso, locale)
  const p = (n: number) => String(n).padStart(2, '0')
  return locale === 'zh-CN' ? `${y}/${p(mo)}/${p(d)} 24:00` : `${p(d)}/${p(mo)}/${y}, 24:00`
}

/** The languages of an account's apps and of a customer's service reports (UserIn.locale,
 * CustomerIn.locale), in the order the forms offer them. */
export const LOCALES = ['zh-CN', 'en'] as const

/** The `common.*` text naming one of those languages in the console's language. */
export function languageKey(locale: string): 'common.lang_en' | 'common.lang_zh' {
  return locale === 'en' ? 'common.lang_en' : 'common.lang_zh'
}

/** A list's count for its heading: "200 / 350" when the server sent only part of it (an older
 * server sends no total: the count shown is all it says). */
export function countOf(shown: number, total: number | undefined): string {
  return total !== undefined && total > shown ? `${shown} / ${total}` : String(shown)
}

/** YYYY-MM of `now` in the department, where the server counts the month's figures. */
export function currentMonth(now: Date = new Date()): string {
  return departmentMonth(now)
}

/** How long a period of figures is: a month, a quarter or a year. */
export type PeriodKind = 'month' | 'quarter' | 'year'

/** The period the figures are asked for (`/api/figures/{period}`): `2026-11`, `2026-Q4` or
 * `2026`, from a month as YYYY-MM (the month picker's), a year as YYYY and a quarter 1 to 4. */
export function periodOf(kind: PeriodKind, month: string, year: string, quarter: number): string {
  if (kind === 'month') return month
  if (kind === 'quarter') return `${year}-Q${quarter}`
  return year
}

/** The quarter (1 to 4) a month YYYY-MM falls in. */
export function quarterOf(month: string): number {
  return Math.floor((Number(month.slice(5, 7)) - 1) / 3) + 1
}

/** What the period pickers hold for a period as `periodOf` names it (its inverse): a month, with
 * its year and quarter; a quarter or a year, with its first month. */
export function periodParts(period: string): { kind: PeriodKind; month: string; year: string; quarter: number } {
  const quarter = /^(\d{4})-Q([1-4])$/.exec(period)
  if (quarter) {
    const n = Number(quarter[2])
    return { kind: 'quarter', month: `${quarter[1]}-${String(n * 3 - 2).padStart(2, '0')}`, year: quarter[1], quarter: n }
  }
  if (/^\d{4}$/.test(period)) return { kind: 'year', month: `${period}-01`, year: period, quarter: 1 }
  return { kind: 'month', month: period, year: period.slice(0, 4), quarter: quarterOf(period) }
}

/** What a date picker should show for `iso`: a Date whose wall clock on this PC reads the
 * department's wall clock at that instant (pickers show the PC's own zone). */
export function toPicker(iso: string | null | undefined): Date | null {
  if (!iso) return null
  const [y, mo, d, h, mi, s] = wallClock(new Date(iso))
  return new Date(y, mo - 1, d, h, mi, s)
}

/** The instant a date picker's value means: its wall clock read in the department's zone, so
 * 09:00 picked on a PC set to any zone books 09:00 in Shanghai. */
export function fromPicker(picked: Date | null | undefined): string | null {
  if (!picked) return null
  return departmentAt(
    picked.getFullYear(), picked.getMonth() + 1, picked.getDate(), picked.getHours(), picked.getMinutes(), picked.getSeconds(),
  ).toISOString()
}

export function rate(value: number | null): string {
  return value === null ? '—' : `${Math.round(value * 1000) / 10}%`
}

export function num(value: number | null, digits = 1): string {
  return value === null ? '—' : value.toFixed(digits)
}

/** True when a route the console relies on is missing on this server (not deployed yet). */
export function isMissingRoute(status: number): boolean {
  return status === 404 || status === 405 || status === 501
}
