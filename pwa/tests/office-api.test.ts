import { beforeEach, describe, expect, it, vi } from 'vitest'

import { kept, store, USER } from './office-session'

const { ApiError, authFetch, errorText, failedFields, get, getAll, login, logout, post, reasonOf, session } = await import('../src/office/api')

const json = (status: number, body: unknown) => new Response(JSON.stringify(body), { status })

describe('authFetch', () => {
  beforeEach(() => {
    session.tokens = { access_token: 'old', refresh_token: 'r1', device_id: 'd1', user: USER }
  })

  it('refreshes once on 401 and repeats the call with the new access token', async () => {
    const seen: { url: string; auth: string | null; body?: string }[] = []
    vi.stubGlobal('fetch', async (url: string, init: RequestInit = {}) => {
      seen.push({ url, auth: new Headers(init.headers).get('Authorization'), body: init.body as string | undefined })
      if (url === '/api/auth/refresh') return json(200, { access_token: 'new', refresh_token: 'r2', device_id: 'd1', user: USER })
      return new Headers(init.headers).get('Authorization') === 'Bearer new' ? json(200, { ok: true }) : json(401, {})
    })
    const response = await authFetch('/api/board')
    expect(response.status).toBe(200)
    expect(seen.map((s) => [s.url, s.auth])).toEqual([
      ['/api/board', 'Bearer old'], ['/api/auth/refresh', null], ['/api/board', 'Bearer new'],
    ])
    expect(JSON.parse(seen[1].body!)).toEqual({ refresh_token: 'r1', device_id: 'd1' })
    expect(JSON.parse(store.get('fieldsync-office-session')!).refresh_token).toBe('r2')
  })

  it('signs the tab out when the refresh is refused', async () => {
    vi.stubGlobal('fetch', async () => json(401, { detail: 'signed out' }))
    const response = await authFetch('/api/board')
    expect(response.status).toBe(401)
    expect(session.tokens).toBeNull()
    expect(store.has('fieldsync-office-session')).toBe(false)
  })
})

describe('login', () => {
  it('signs in from the same device id each time for one user, another for another user', async () => {
    kept.clear()
    const sent: { username: string; device_id: string }[] = []
    vi.stubGlobal('fetch', async (url: string, init: RequestInit = {}) => {
      if (url === '/api/auth/login') {
        const body = JSON.parse(init.body as string) as { username: string; device_id: string }
        sent.push(body)
        return json(200, { access_token: 'a', refresh_token: 'r', device_id: body.device_id, user: { ...USER, username: body.username } })
      }
      return new Response(null, { status: 204 })
    })
    await login('dispatcher1', 'pw')
    await logout()
    await login('Dispatcher1 ', 'pw')
    await logout()
    await login('boss', 'pw')
    expect(sent[0].device_id).toBe(sent[1].device_id)
    expect(sent[2].device_id).not.toBe(sent[0].device_id)
    expect(Object.keys(JSON.parse(kept.get('fieldsync.office.devices')!))).toEqual(['dispatcher1', 'boss'])
  })
})

describe('getAll', () => {
  beforeEach(() => {
    session.tokens = { access_token: 'a', refresh_token: 'r1', device_id: 'd1', user: USER }
  })

  it('reads every page of a long work list, not only the first', async () => {
    const all = Array.from({ length: 450 }, (_, i) => ({ id: i }))
    const asked: string[] = []
    vi.stubGlobal('fetch', async (url: string) => {
      asked.push(url)
      const q = new URL(url, 'http://x').searchParams
      const offset = Number(q.get('offset'))
      const limit = Number(q.get('limit'))
      return json(200, { items: all.slice(offset, offset + limit), total: all.length, offset, limit })
    })
    const items = await getAll<{ id: number }>('/api/jobs?status=reviewed')
    expect(items.map((i) => i.id)).toEqual(all.map((i) => i.id))
    expect(asked).toEqual([
      '/api/jobs?status=reviewed&limit=200&offset=0',
      '/api/jobs?status=reviewed&limit=200&offset=200',
      '/api/jobs?status=reviewed&limit=200&offset=400',
    ])
  })
})

describe('a refusal', () => {
  beforeEach(() => {
    session.tokens = { access_token: 'a', refresh_token: 'r1', device_id: 'd1', user: USER }
  })

  it('says why a body was refused, not only that it was', async () => {
    const refused = {
      status_code: 400,
      detail: 'Validation failed for POST /api/parts',
      extra: [
        { message: 'price may have at most 2 decimal places, got 12.345', key: 'data', source: 'body' },
        { message: 'Expected `str` of length >= 1', key: 'code', source: 'body' },
      ],
    }
    vi.stubGlobal('fetch', async () => json(400, refused))
    const error = await get('/api/parts').catch((e: unknown) => e)
    expect(error).toBeInstanceOf(ApiError)
    expect(errorText(error)).toBe('price may have at most 2 decimal places, got 12.345; code: Expected `str` of length >= 1')
  })

  it('keeps the detail of any other refusal, and a field the reason names is not named twice', () => {
    expect(reasonOf({ detail: 'not enough stock: the location holds 3', extra: null })).toBe('not enough stock: the location holds 3')
    expect(reasonOf({ detail: 'Validation failed for GET /api/parts?active=x', extra: [{ message: 'Expected `bool | null`, got `str`', key: 'active' }] }))
      .toBe('active: Expected `bool | null`, got `str`')
    expect(reasonOf({ detail: 'Validation failed for POST /api/x', extra: [{ message: '`name` contains a NUL character', key: 'name' }] }))
      .toBe('`name` contains a NUL character')
    expect(reasonOf({ detail: 'Validation failed for POST /api/x', extra: [] })).toBe('Validation failed for POST /api/x')
    expect(reasonOf({ nothing: 1 })).toBeNull()
    expect(reasonOf('text')).toBeNull()
  })
})

describe('a refused field, named as on the form', () => {
  const label = (k: string) => ({ username: '用户名', phone: '电话', 'contacts[0].phone': '联系人 1 的电话' })[k] ?? `?${k}`

  it('is each field the 400 failed on by its label, with the server message', () => {
    const e = new ApiError(400, 'phone: Expected `str` of length <= 40', [
      { message: 'Expected `str` of length <= 40', key: 'contacts[0].phone', source: 'body' },
      { message: 'Expected `str` of length <= 40', key: 'phone', source: 'body' },
    ])
    expect(errorText(e, label)).toBe('联系人 1 的电话: Expected `str` of length <= 40; 电话: Expected `str` of length <= 40')
    // Without labels: the server's reasons as they came.
    expect(errorText(e)).toBe('phone: Expected `str` of length <= 40')
  })

  it('keeps a reason about the whole body, which names no field', () => {
    const e = new ApiError(400, 'x', [
      { message: 'price may have at most 2 decimal places, got 12.345', key: 'data', source: 'body' },
      { message: '', key: 'username', source: 'body' },
    ])
    expect(failedFields(e)).toEqual([
      { key: '', message: 'price may have at most 2 decimal places, got 12.345' },
      { key: 'username', message: '' },
    ])
    expect(errorText(e, label)).toBe('price may have at most 2 decimal places, got 12.345; 用户名')
  })

  it('names fields only for a 400: any other refusal is the server reason alone', () => {
    const taken = new ApiError(409, 'a record with the same unique value already exists', [{ key: 'username', message: 'taken' }])
    expect(failedFields(taken)).toEqual([])
    expect(errorText(taken, label)).toBe('a record with the same unique value already exists')
    expect(errorText(new Error('offline'), label)).toBe('offline')
    expect(errorText('plain', label)).toBe('plain')
  })

  it("puts a coded refusal in the desk's words, its status and record kind too", async () => {
    const { i18n } = await import('../src/office/i18n')
    const moved = new ApiError(409, 'only a signed job can be approved; this one is reviewed', null, 'job_status', { status: 'reviewed' })
    const gone = new ApiError(404, 'stock location not found', null, 'not_found', { what: 'stock location' })
    const frozen = new ApiError(409, 'the customer signed ...', null, 'job_signed', { fields: 'site_id, asset_id' })
    try {
      i18n.global.locale.value = 'zh-CN'
      expect(errorText(moved)).toBe('该工单当前为「已审核」，此操作已不适用（可能同事刚处理过）。请刷新查看最新状态。')
      expect(errorText(gone, label)).toBe('找不到该库位：可能已被删除。')
      expect(errorText(frozen)).toContain('站点、设备不能再修改')
      i18n.global.locale.value = 'en'
      expect(errorText(moved)).toContain('The job is now “Reviewed”')
      expect(errorText(frozen)).toContain('the site, the equipment can no longer change')
      expect(errorText(new ApiError(400, 'x', null, 'too_long', { max: 10000 }))).toBe('The text is too long: at most 10,000 characters.')
    } finally {
      i18n.global.locale.value = 'en'
    }
  })

  it('shows the server reason for a code it has no words for, or none', () => {
    expect(errorText(new ApiError(409, 'a newer refusal', null, 'from_a_newer_server', {}))).toBe('a newer refusal')
    expect(errorText(new ApiError(409, 'plain refusal', null, 'not a code', null))).toBe('plain refusal')
    expect(errorText(new ApiError(409, 'no code'))).toBe('no code')
  })

  it('reads the code and its values from the server answer', async () => {
    session.tokens = { access_token: 'a', refresh_token: 'r', device_id: 'd', user: USER }
    vi.stubGlobal('fetch', async () =>
      json(409, { status_code: 409, detail: 'the conflict is resolved already', extra: null, code: 'already_resolved', params: null }),
    )
    const e = await post('/api/conflicts/x/resolve', {}).catch((x: unknown) => x)
    expect(e).toBeInstanceOf(ApiError)
    expect([(e as InstanceType<typeof ApiError>).code, (e as InstanceType<typeof ApiError>).detail]).toEqual([
      'already_resolved', 'the conflict is resolved already',
    ])
    expect(errorText(e)).toBe('This conflict was resolved already, perhaps by a colleague.')
  })

  it('reads the fields from the server answer', async () => {
    session.tokens = { access_token: 'a', refresh_token: 'r', device_id: 'd', user: USER }
    const extra = [{ message: 'Expected `str` of length >= 8', key: 'password', source: 'body' }]
    vi.stubGlobal('fetch', async () => json(400, { status_code: 400, detail: 'Validation failed for POST /api/users', extra }))
    const refusal = await post('/api/users', {}).catch((e: unknown) => e)
    expect(refusal).toBeInstanceOf(ApiError)
    expect(errorText(refusal, (k) => (k === 'password' ? 'Initial password' : k))).toBe('Initial password: Expected `str` of length >= 8')
  })
})
