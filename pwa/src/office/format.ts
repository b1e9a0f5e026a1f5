// Small display helpers shared by the screens.

export function dateTime(iso: string | null | undefined, locale: string): string {
  if (!iso) return '—'
  return new Date(iso).toLocaleString(locale === 'zh-CN' ? 'zh-CN' : 'en-GB', {
    year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit',
  })
}

export function shown(value: unknown): string {
  if (value === null || value === undefined) return '—'
  if (typeof value === 'string') return value === '' ? '""' : value
  return JSON.stringify(value)
}

export function currentMonth(now: Date = new Date()): string {
  return `${now.getFullYear()}-${String(now.getMonth() + 1).padStart(2, '0')}`
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
