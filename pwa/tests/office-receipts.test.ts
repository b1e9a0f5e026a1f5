import { beforeEach, describe, expect, it, vi } from 'vitest'

import { USER } from './office-session'

// The console's toasts, recorded rather than shown.
const shownErrors = vi.hoisted(() => [] as string[])
vi.mock('element-plus', () => ({ ElMessage: { error: (text: string) => void shownErrors.push(text) } }))
vi.stubGlobal('navigator', { languages: ['en'] })

const { ApiError, errorText, session } = await import('../src/office/api')
const { i18n, messages } = await import('../src/office/i18n')
const { can, menuFor } = await import('../src/office/menus')
const { pagedList } = await import('../src/office/paging')
const {
  mayPromise, mayWithdraw, moveRequest, movesFrom, promiseState, receiptsPath, registerFile, registerPath, statusTag, STATUS_FILTERS, whenProblem,
} = await import('../src/office/receipts')

const TAKEN = '2026-11-20T02:00:00Z'
const IN = '2026-11-20T06:00:00Z'

describe('the moves of a receipt', () => {
  it('takes an item taken from the site into the workshop, or straight back to the customer', () => {
    expect(movesFrom('taken')).toEqual(['in_workshop', 'returned'])
    expect(movesFrom('in_workshop')).toEqual(['returned'])
    expect(movesFrom('returned')).toEqual([])
  })

  it('logs a move forward with its time, and takes the latest back on its own route with the version seen', () => {
    const r = { id: 'r1', version: 7 }
    expect(moveRequest(r, { kind: 'move', to: 'returned', note: '客户自取', at: null })).toEqual({
      path: '/api/receipts/r1/moves', body: { to: 'returned', note: '客户自取', at: null, version: 7 },
    })
    // Where the item goes back to is the server's to say (undo_to): the request names none.
    expect(moveRequest(r, { kind: 'undo', to: 'in_workshop', note: '点错了', at: null })).toEqual({
      path: '/api/receipts/r1/undo', body: { note: '点错了', version: 7 },
    })
    expect(moveRequest(r, { kind: 'withdraw', to: 'void', note: '重复录入', at: null })).toEqual({
      path: '/api/receipts/r1/withdraw', body: { note: '重复录入', version: 7 },
    })
  })

  it('lets the promise date change until the item is back with the customer', () => {
    expect([mayPromise('taken'), mayPromise('in_workshop'), mayPromise('returned'), mayPromise('void')]).toEqual([true, true, false, false])
    expect([mayWithdraw('taken'), mayWithdraw('in_workshop'), mayWithdraw('returned'), mayWithdraw('void')]).toEqual([true, false, false, false])
  })
})

describe('when a move may be dated', () => {
  const now = Date.parse('2026-11-26T10:00:00Z')
  // The server says how early a move may be dated (earliest_move_at): the log's latest line, else
  // the taking. The console no longer replays the log for it.
  const taken = { earliest_move_at: TAKEN }
  const inside = { earliest_move_at: IN }

  it('not before the earliest time the server gives', () => {
    expect(whenProblem(taken, '2026-11-20T01:59:59Z', now)).toBe('early')
    expect(whenProblem(taken, TAKEN, now)).toBeNull()
    expect(whenProblem(inside, '2026-11-20T05:00:00Z', now)).toBe('early')
    expect(whenProblem(inside, IN, now)).toBeNull()
    expect(whenProblem(inside, '2026-11-21T05:00:00Z', now)).toBeNull()
    // The server's time with its offset as sent (microseconds, +00:00) reads the same.
    expect(whenProblem({ earliest_move_at: '2026-11-20T06:00:00.500000+00:00' }, IN, now)).toBe('early')
  })

  it('not later than now, but for a few minutes a desk clock may run ahead of the server', () => {
    expect(whenProblem(taken, '2026-11-26T10:04:59Z', now)).toBeNull()
    expect(whenProblem(taken, '2026-11-26T10:05:01Z', now)).toBe('future')
  })
})

describe('the promise to the customer', () => {
  const now = Date.parse('2026-11-26T10:00:00Z')
  const r = { status: 'taken' as const, promised_at: '2026-11-27T09:00:00Z', returned_at: null, overdue: false }

  it('is broken once its time passes with the item not back, as the server says or the clock since', () => {
    expect(promiseState({ ...r, promised_at: null }, now)).toBe('none')
    expect(promiseState(r, now)).toBe('pending')
    expect(promiseState({ ...r, overdue: true }, now)).toBe('overdue')
    expect(promiseState({ ...r, status: 'in_workshop' }, Date.parse('2026-11-27T09:00:01Z'))).toBe('overdue')
  })

  it('is kept, or kept late, once the item is back', () => {
    const back = { ...r, status: 'returned' as const }
    expect(promiseState({ ...back, returned_at: '2026-11-27T08:00:00Z' }, Date.parse('2026-12-01T00:00:00Z'))).toBe('kept')
    expect(promiseState({ ...back, returned_at: '2026-11-27T09:30:00Z' }, now)).toBe('late')
  })

  it('colours the status: with the engineer, in the workshop, back', () => {
    expect([statusTag('taken'), statusTag('in_workshop'), statusTag('returned'), statusTag('void')]).toEqual(['warning', 'primary', 'success', 'info'])
  })
})

describe('the list and the register asked for', () => {
  const ask = (status: (typeof STATUS_FILTERS)[number], overdue = false, q = '') => receiptsPath({ status, overdue, q })

  it('asks for the items not yet returned by default, a status, or all', () => {
    expect(ask('open')).toBe('/api/receipts?open=true')
    expect(ask('in_workshop')).toBe('/api/receipts?status=in_workshop')
    expect(ask('all')).toBe('/api/receipts')
  })

  it('adds the overdue filter and the search as typed, trimmed and escaped', () => {
    expect(ask('open', true, '  RR2026 ')).toBe('/api/receipts?open=true&overdue=true&q=RR2026')
    expect(ask('all', false, '主板 & 电源')).toBe(`/api/receipts?q=${encodeURIComponent('主板 & 电源').replace(/%20/g, '+')}`)
    expect(ask('returned', false, '   ')).toBe('/api/receipts?status=returned')
  })

  it("asks for a period's register as Excel", () => {
    expect(registerPath('2026-11')).toBe('/api/receipts/register.xlsx?period=2026-11')
    expect(registerFile('2026-Q4')).toBe('fieldsync-receipts-register-2026-Q4.xlsx')
  })
})

describe('who sees and who moves receipts', () => {
  it('shows Repairs to every office role, and lets the desk move items, not quality', () => {
    for (const role of ['admin', 'dispatcher', 'supervisor', 'quality']) {
      expect([role, menuFor(role).some((m) => m.key === 'receipts' && m.path === '/receipts')]).toEqual([role, true])
    }
    expect(['admin', 'dispatcher', 'supervisor', 'quality'].map((r) => can(r, 'receipts'))).toEqual([true, true, true, false])
    expect(menuFor('engineer')).toEqual([])
  })
})

describe('the words of receipts', () => {
  const lookup = (tree: unknown, path: string): unknown =>
    path.split('.').reduce<unknown>((node, k) => (node as Record<string, unknown> | undefined)?.[k], tree)
  // The keys the views build from a status, a filter, a log line's direction or a move.
  const KEYS = [
    'menu.receipts', 'errors.receipt_status', 'errors.things.receipt',
    ...['taken', 'in_workshop', 'returned'].map((s) => `receipts.status.${s}`),
    ...STATUS_FILTERS.map((s) => `receipts.filter.${s}`),
    ...['taken', 'in', 'out', 'undo'].map((d) => `receipts.direction.${d}`),
    'receipts.atEarly', 'receipts.atFuture',
    ...['in_workshop', 'returned'].flatMap((m) => [`receipts.moveTitle.${m}`, `receipts.moveHelp.${m}`, `receipts.moved.${m}`]),
  ]

  it('are there in both languages', () => {
    for (const locale of ['en', 'zh-CN'] as const) {
      const missing = KEYS.filter((key) => typeof lookup(messages[locale], key) !== 'string')
      expect([locale, missing]).toEqual([locale, []])
    }
  })

  /** A refusal in words, in English and in Chinese. */
  const inBoth = (code: string, params: Record<string, unknown>): string[] => {
    const words = (['en', 'zh-CN'] as const).map((locale) => {
      i18n.global.locale.value = locale
      return errorText(new ApiError(409, 'x', null, code, params))
    })
    i18n.global.locale.value = 'en'
    return words
  }

  it("name a refused move's status as where the item is, not as a job status", () => {
    const [en, zh] = inBoth('receipt_status', { status: 'returned' })
    expect([en.includes('“Returned”'), zh.includes('「已交还客户」')]).toEqual([true, true])
    // A job's status is still named as a job's.
    expect(inBoth('job_status', { status: 'closed' })[1]).toContain('「已关闭」')
  })

  it("name a move's refused time by the department's clock, not as the server's ISO instant", () => {
    const [en, zh] = inBoth('move_time', { earliest: '2026-11-20T06:00:00.123456+00:00' })
    expect(en).toContain('between 20/11/2026, 14:00, the item’s last move, and now')
    expect(zh).toContain('（2026/11/20 14:00）')
  })
})

describe('a paged list loading', () => {
  beforeEach(() => {
    session.tokens = { access_token: 'a', refresh_token: 'r', device_id: 'd', user: USER }
  })

  it('says it is loading until the answer to the last load asked for comes', async () => {
    const answers: ((n: number) => void)[] = []
    vi.stubGlobal('fetch', (url: string) => {
      const offset = Number(new URL(url, 'http://x').searchParams.get('offset'))
      return new Promise<Response>((resolve) => {
        answers.push((total) => resolve(new Response(JSON.stringify({ items: [{ id: 'r' }], total, offset, limit: 50 }))))
      })
    })
    const list = pagedList<{ id: string }>(() => '/api/receipts?open=true', 50)
    expect(list.loading.value).toBe(false)
    const first = list.load()
    const second = list.reload()
    expect(list.loading.value).toBe(true)
    answers[0](1) // the earlier load's answer: dropped, and the list still loads
    await first
    expect(list.loading.value).toBe(true)
    answers[1](1)
    await second
    expect(list.loading.value).toBe(false)
    expect(list.items.value).toEqual([{ id: 'r' }])
  })
})
