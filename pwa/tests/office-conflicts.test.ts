import { beforeEach, describe, expect, it, vi } from 'vitest'

import { USER } from './office-session'

const { session } = await import('../src/office/api')
const { conflictList } = await import('../src/office/conflicts')

const asked: URLSearchParams[] = []

// A server holding `n` conflicts of a status, paged like GET /api/conflicts: oldest first, or
// with order=decided latest decision first.
function serve(n: number) {
  const rows = Array.from({ length: n }, (_, i) => ({
    id: `c${i}`, resolved_at: new Date(Date.UTC(2026, 0, 1) + ((i * 7) % n) * 60_000).toISOString(),
  }))
  asked.length = 0
  vi.stubGlobal('fetch', async (url: string) => {
    const p = new URL(url, 'http://x').searchParams
    asked.push(p)
    const offset = Number(p.get('offset') ?? 0)
    const limit = Number(p.get('limit') ?? 100)
    const sorted = p.get('order') === 'decided'
      ? [...rows].sort((a, b) => b.resolved_at.localeCompare(a.resolved_at))
      : rows
    const body = { items: sorted.slice(offset, offset + limit), total: n, offset, limit }
    return new Response(JSON.stringify(body), { status: 200 })
  })
}

describe('conflictList', () => {
  beforeEach(() => {
    session.tokens = { access_token: 'a', refresh_token: 'r', device_id: 'd', user: USER }
  })

  it('shows the latest decisions first, whenever their conflicts arose, and how many there are', async () => {
    serve(620)
    const { items, total } = await conflictList('resolved')
    expect(total).toBe(620)
    expect(items).toHaveLength(500)
    expect(asked.map((p) => [p.get('status'), p.get('order'), p.get('offset')])).toEqual([['resolved', 'decided', '0']])
    const times = items.map((c) => Date.parse(c.resolved_at ?? ''))
    expect(times).toEqual([...times].sort((a, b) => b - a))
    expect(times[0]).toBe(Date.UTC(2026, 0, 1) + 619 * 60_000) // the decision just taken
  })

  it('keeps open conflicts oldest first', async () => {
    serve(3)
    const { items, total } = await conflictList('open')
    expect(items.map((c) => c.id)).toEqual(['c0', 'c1', 'c2'])
    expect(total).toBe(3)
  })

  it('lists every open conflict, past the first page', async () => {
    serve(1203)
    const { items, total } = await conflictList('open')
    expect(items).toHaveLength(1203)
    expect(total).toBe(1203)
    expect(items.at(-1)?.id).toBe('c1202')
  })
})
