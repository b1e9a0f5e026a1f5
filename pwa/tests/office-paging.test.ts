import { beforeEach, describe, expect, it, vi } from 'vitest'

import { USER } from './office-session'

const { getPage, session } = await import('../src/office/api')

// A server list of `n` rows paged like the API's lists; `urls` records what was asked.
function serve(n: number) {
  const rows = Array.from({ length: n }, (_, i) => ({ id: `r${i}` }))
  const urls: string[] = []
  vi.stubGlobal('fetch', async (url: string) => {
    urls.push(url)
    const p = new URL(url, 'http://x').searchParams
    const offset = Number(p.get('offset'))
    const limit = Number(p.get('limit'))
    const body = { items: rows.slice(offset, offset + limit), total: n, offset, limit }
    return new Response(JSON.stringify(body), { status: 200 })
  })
  return urls
}

describe('getPage', () => {
  beforeEach(() => {
    session.tokens = { access_token: 'a', refresh_token: 'r', device_id: 'd', user: USER }
  })

  it('asks for the page as an offset, keeping the filters', async () => {
    const urls = serve(120)
    const { page, data } = await getPage<{ id: string }>('/api/complaints?status=open', 3, 50)
    expect(page).toBe(3)
    expect(data.items.map((r) => r.id)).toEqual(Array.from({ length: 20 }, (_, i) => `r${100 + i}`))
    expect(data.total).toBe(120)
    const p = new URL(urls[0], 'http://x').searchParams
    expect([p.get('status'), p.get('offset'), p.get('limit')]).toEqual(['open', '100', '50'])
    expect(urls).toHaveLength(1)
  })

  it('gives the last page when the list shrank under the page shown', async () => {
    // Page 3 of 20 was shown; the last row on it was resolved away under the "open" filter.
    const urls = serve(40)
    const { page, data } = await getPage<{ id: string }>('/api/complaints', 3, 20)
    expect(page).toBe(2)
    expect(data.items[0].id).toBe('r20')
    expect(data.items).toHaveLength(20)
    expect(urls.map((u) => new URL(u, 'http://x').searchParams.get('offset'))).toEqual(['40', '20'])
  })

  it('shows page 1 of an empty list, asked once', async () => {
    const urls = serve(0)
    const { page, data } = await getPage('/api/complaints', 1, 50)
    expect([page, data.items, data.total]).toEqual([1, [], 0])
    expect(urls).toHaveLength(1)
  })
})
