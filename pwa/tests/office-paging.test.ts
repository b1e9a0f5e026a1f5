import { beforeEach, describe, expect, it, vi } from 'vitest'

import { USER } from './office-session'

// The console's toasts, recorded rather than shown.
const shownErrors = vi.hoisted(() => [] as string[])
vi.mock('element-plus', () => ({ ElMessage: { error: (text: string) => void shownErrors.push(text) } }))

const { getPage, session } = await import('../src/office/api')
const { pagedList } = await import('../src/office/paging')

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

describe('pagedList', () => {
  beforeEach(() => {
    session.tokens = { access_token: 'a', refresh_token: 'r', device_id: 'd', user: USER }
    shownErrors.length = 0
  })

  // A server whose answers wait until `answer[offset]()` is called, each with its page of rows
  // (or a refusal for the offsets in `refuse`).
  function slowServer(n: number, refuse: string[] = []) {
    const answer: Record<string, () => void> = {}
    vi.stubGlobal('fetch', async (url: string) => {
      const p = new URL(url, 'http://x').searchParams
      const offset = Number(p.get('offset'))
      const limit = Number(p.get('limit'))
      await new Promise<void>((resolve) => (answer[String(offset)] = resolve))
      if (refuse.includes(String(offset))) return new Response(JSON.stringify({ detail: `no page at ${offset}` }), { status: 500 })
      const items = Array.from({ length: Math.max(0, Math.min(limit, n - offset)) }, (_, i) => ({ id: `r${offset + i}` }))
      return new Response(JSON.stringify({ items, total: n, offset, limit }), { status: 200 })
    })
    return answer
  }
  const settle = () => new Promise((resolve) => setTimeout(resolve, 0))

  it('shows the page last asked for, whatever order the answers come in', async () => {
    const answer = slowServer(100)
    const list = pagedList<{ id: string }>(() => '/api/complaints', 20)
    const first = list.load() // page 1, slow
    list.paging.page = 3
    const third = list.load()
    await settle()
    answer['40']()
    await third
    answer['0']()
    await first
    expect(list.items.value[0].id).toBe('r40')
    expect([list.paging.page, list.paging.total]).toEqual([3, 100])
  })

  it('says why a load failed, unless a later one was asked for meanwhile', async () => {
    const answer = slowServer(100, ['0', '20'])
    const list = pagedList<{ id: string }>(() => '/api/complaints', 20, (e) => `refused: ${(e as Error).message}`)
    const first = list.load()
    list.paging.page = 2
    const second = list.load()
    await settle()
    answer['0']()
    await first
    expect(shownErrors).toEqual([])
    answer['20']()
    await second
    expect(shownErrors).toEqual(['refused: no page at 20'])
  })

  it('reloads from page 1, with the path as it is then', async () => {
    const urls = serve(100)
    let status = 'open'
    const list = pagedList<{ id: string }>(() => `/api/complaints?status=${status}`, 50)
    list.paging.page = 2
    await list.load()
    status = 'resolved'
    await list.reload()
    const asked = urls.map((u) => new URL(u, 'http://x').searchParams)
    expect(asked.map((p) => [p.get('status'), p.get('offset')])).toEqual([['open', '50'], ['resolved', '0']])
    expect([list.paging.page, list.items.value[0].id]).toEqual([1, 'r0'])
  })
})
