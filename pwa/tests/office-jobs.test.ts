import { beforeEach, describe, expect, it, vi } from 'vitest'

import { USER } from './office-session'

const { session } = await import('../src/office/api')
const { jobByNumber } = await import('../src/office/jobs')

const job = (id: string, number: string) => ({ id, number })

// /api/jobs?q= matches numbers, customer names, phones and fault texts, newest first.
function serve(items: { id: string; number: string }[], total = items.length) {
  const urls: string[] = []
  vi.stubGlobal('fetch', async (url: string) => {
    urls.push(url)
    return new Response(JSON.stringify({ items, total, offset: 0, limit: 50 }), { status: 200 })
  })
  return urls
}

describe('jobByNumber', () => {
  beforeEach(() => {
    session.tokens = { access_token: 'a', refresh_token: 'r', device_id: 'd', user: USER }
  })

  it('picks the job with the typed number, not the newest search hit', async () => {
    // A newer job whose phone or fault text holds the digits comes first.
    const urls = serve([job('newer', 'FS-2026-000200'), job('wanted', 'FS-2026-000123')])
    expect((await jobByNumber(' fs-2026-000123 ', 'c1'))?.id).toBe('wanted')
    const params = new URL(urls[0], 'http://x').searchParams
    expect([params.get('q'), params.get('customer_id')]).toEqual(['fs-2026-000123', 'c1'])
  })

  it('finds nothing when no number matches, rather than some other job', async () => {
    serve([job('other', 'FS-2026-000200')])
    expect(await jobByNumber('FS-2026-000999')).toBeNull()
  })

  it('takes an unambiguous tail of a number, but not an ambiguous one', async () => {
    serve([job('j1', 'FS-2026-000123')])
    expect((await jobByNumber('000123'))?.id).toBe('j1')
    serve([job('j1', 'FS-2026-000123'), job('j2', 'FS-2025-000123')])
    expect(await jobByNumber('000123')).toBeNull()
  })
})
