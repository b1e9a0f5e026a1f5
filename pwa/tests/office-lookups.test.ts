import { beforeEach, describe, expect, it, vi } from 'vitest'

import { USER } from './office-session'

const { session } = await import('../src/office/api')
const { directoryRegions, directoryTeams, officeStaff, placesOf, userNames } = await import('../src/office/lookups')

// Lists of the API by path, paged like it (at most 200 a page), filtered by the query's
// `customer_id` and `active`; `urls` records what was asked.
function serve(lists: Record<string, Record<string, unknown>[]>) {
  const urls: string[] = []
  vi.stubGlobal('fetch', async (url: string) => {
    urls.push(url)
    const u = new URL(url, 'http://x')
    const p = u.searchParams
    const rows = (lists[u.pathname] ?? []).filter(
      (r) => (!p.has('customer_id') || r.customer_id === p.get('customer_id')) && (!p.has('active') || String(r.active) === p.get('active')),
    )
    const offset = Number(p.get('offset'))
    const limit = Math.min(Number(p.get('limit')), 200)
    const body = { items: rows.slice(offset, offset + limit), total: rows.length, offset, limit }
    return new Response(JSON.stringify(body), { status: 200 })
  })
  return urls
}

const users = Array.from({ length: 450 }, (_, i) => ({
  id: `u${i}`, username: `user${i}`, display_name: i % 2 ? `用户${i}` : '',
  role: i % 3 ? 'engineer' : 'dispatcher', active: i % 5 !== 0,
}))

describe('console lookups', () => {
  beforeEach(() => {
    session.tokens = { access_token: 'a', refresh_token: 'r', device_id: 'd', user: USER }
  })

  it('offers every active office user as a complaint owner, past the first page', async () => {
    serve({ '/api/users': users })
    const staff = await officeStaff()
    const expected = users.filter((u) => u.role !== 'engineer' && u.active).map((u) => u.id)
    expect(staff.map((u) => u.id)).toEqual(expected)
    expect(staff.at(-1)?.id).toBe('u447') // on the third page
  })

  it('names every user, the inactive and those past the first page too', async () => {
    serve({ '/api/users': users })
    const names = await userNames()
    expect(Object.keys(names)).toHaveLength(450)
    expect([names.u449, names.u448, names.u0]).toEqual(['用户449', 'user448', 'user0'])
  })

  it("gives all of a customer's sites and equipment, not only the first 200", async () => {
    const urls = serve({
      '/api/sites': Array.from({ length: 3 }, (_, i) => ({ id: `s${i}`, customer_id: 'c1' })),
      '/api/assets': [
        ...Array.from({ length: 230 }, (_, i) => ({ id: `a${i}`, customer_id: 'c1' })),
        { id: 'other', customer_id: 'c2' },
      ],
    })
    const { sites, assets } = await placesOf('c1')
    expect(sites.map((s) => s.id)).toEqual(['s0', 's1', 's2'])
    expect(assets).toHaveLength(230)
    expect(assets.at(-1)?.id).toBe('a229')
    expect(urls.filter((u) => u.startsWith('/api/assets'))).toHaveLength(2)
  })

  it('reads the directory’s regions and teams, and gives none rather than failing when it cannot', async () => {
    const urls: string[] = []
    const regions = [{ id: 'r1', code: 'EAST', name: '华东' }]
    const teams = [{ id: 't1', name: '售后服务组', kind: 'service', region_id: null }]
    vi.stubGlobal('fetch', async (url: string) => {
      urls.push(url)
      return new Response(JSON.stringify(url.endsWith('/regions') ? regions : teams), { status: 200 })
    })
    expect([await directoryRegions(), await directoryTeams()]).toEqual([regions, teams])
    expect(urls).toEqual(['/api/directory/regions', '/api/directory/teams'])
    vi.stubGlobal('fetch', async () => new Response('{"detail": "down"}', { status: 503 }))
    expect([await directoryRegions(), await directoryTeams()]).toEqual([[], []])
  })
})
