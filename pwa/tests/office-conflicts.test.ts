import { beforeEach, describe, expect, it, vi } from 'vitest'

import { USER } from './office-session'

const { session } = await import('../src/office/api')
const { conflictList } = await import('../src/office/conflicts')


// A server holding `n` conflicts of a status, oldest first, paged like GET /api/conflicts.
function serve(n: number) {
  const rows = Array.from({ length: n }, (_, i) => ({
    id: `c${i}`, resolved_at: new Date(Date.UTC(2026, 0, 1) + i * 60_000).toISOString(),
  }))
  vi.stubGlobal('fetch', async (url: string) => {
    const p = new URL(url, 'http://x').searchParams
    const offset = Number(p.get('offset') ?? 0)
    const limit = Number(p.get('limit') ?? 100)
    const body = { items: rows.slice(offset, offset + limit), total: n, offset, limit }
    return new Response(JSON.stringify(body), { status: 200 })
  })
}

describe('conflictList', () => {
  beforeEach(() => {
    session.tokens = { access_token: 'a', refresh_token: 'r', device_id: 'd', user: USER }
  })

  it('shows the latest resolved conflicts, newest first, once the history passes a page', async () => {
    serve(620)
    const items = await conflictList('resolved')
    expect(items).toHaveLength(500)
    expect(items[0].id).toBe('c619') // the decision just taken
    expect(items.at(-1)?.id).toBe('c120')
  })

  it('keeps open conflicts oldest first', async () => {
    serve(3)
    expect((await conflictList('open')).map((c) => c.id)).toEqual(['c0', 'c1', 'c2'])
  })

  it('lists every open conflict, past the first page', async () => {
    serve(1203)
    const items = await conflictList('open')
    expect(items).toHaveLength(1203)
    expect(items.at(-1)?.id).toBe('c1202')
  })
})
