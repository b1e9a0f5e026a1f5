import 'fake-indexeddb/auto'
import { afterEach, expect, it, vi } from 'vitest'

const SHA = 'ab'.repeat(32)

function json(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), { status, headers: { 'Content-Type': 'application/json' } })
}

afterEach(() => {
  vi.unstubAllGlobals()
})

/** The store signed in as engineer `username`, the phone offline, every other call answered {}. */
async function offlineEngineer(id: string, username: string) {
  vi.stubGlobal('window', { addEventListener: () => {} })
  vi.stubGlobal('navigator', { onLine: false, userAgent: 'test', languages: ['en'], storage: { persisted: async () => true } })
  vi.stubGlobal(
    'fetch',
    vi.fn(async (url: string) => {
      if (url === '/api/auth/login') {
        return json(200, {
          access_token: 'a',
          refresh_token: 'r',
          refresh_expires_at: '',
          user: { id, username, display_name: username, role: 'engineer', locale: 'zh-CN' },
        })
      }
      return json(200, {})
    }),
  )
  const store = await import('../src/store')
  await store.login(username, 'pw')
  return store
}

const JOB = '01a21961-6594-728d-a6fe-61e3a96f3450'
const photoArgs = (id: string, sha = SHA) => ({ id, job_id: JOB, blob_sha256: sha, category: 'before', caption: '', taken_at: '2026-11-26T10:00:00Z' })

/** Online; a push is answered `status` for every mutation (with `reason`), a pull brings `items`,
 * and starting an upload fails (the signal drops). Every URL asked is kept in `calls`. */
function onlineServer(username: string, status: 'applied' | 'rejected', items: unknown[] = [], calls: string[] = [], persist = vi.fn(async () => true)) {
  vi.stubGlobal('window', { addEventListener: () => {} })
  vi.stubGlobal('navigator', { onLine: true, userAgent: 'test', storage: { persisted: async () => false, persist } })
  vi.stubGlobal(
    'fetch',
    vi.fn(async (url: string, init?: RequestInit) => {
      calls.push(url)
      if (url === '/api/auth/login') {
        return json(200, {
          access_token: 'a',
          refresh_token: 'r',
          refresh_expires_at: '',
          user: { id: `u-${username}`, username, display_name: username, role: 'engineer', locale: 'zh-CN' },
        })
      }
      if (url.includes('/api/sync/push')) {
        const sent = (JSON.parse(String(init?.body)) as { mutations: { id: string; seq: number }[] }).mutations
        return json(200, { results: sent.map((m) => ({ id: m.id, seq: m.seq, status, reason: status === 'rejected' ? 'job unknown' : '' })) })
      }
      if (url.includes('/api/sync/pull')) return json(200, { cursor: 'c', has_more: false, items, evictions: [], resync: false })
      if (url.includes('/api/uploads/missing')) return json(200, { missing: [SHA] })
      if (url.endsWith('/api/uploads')) throw new TypeError('Failed to fetch') // the signal drops mid-upload
      return json(200, {})
    }),
  )
  return { calls, persist }
}

it('asks to keep its storage, and does not sign out while photo bytes wait to upload unless forced', async () => {
  const photo = '01a21961-6594-728d-a6fe-61e3a96f3451'
  const record = { entity: 'photos', id: photo, op: 'upsert', data: { ...photoArgs(photo), removed_at: null } }
  const { calls, persist } = onlineServer('wang', 'applied', [record])
  const store = await import('../src/store')
  await store.login('wang', 'pw')
  expect(persist).toHaveBeenCalledOnce() // the outbox and photo bytes live only here
  await store.mutate('photo.add', photoArgs(photo), { sha256: SHA, bytes: new Blob([new Uint8Array(10)]) })
  // The record is on the server; its bytes are not, and exist nowhere but here.
  expect(await store.logout(false)).toBe(false)
  expect(store.state.pending).toBe(0)
  expect(store.state.user).not.toBeNull()
  expect(store.state.uploadsWaiting).toBe(1)
  expect(calls).not.toContain('/api/auth/logout')
  expect(await store.logout(true)).toBe(true)
  expect(store.state.user).toBeNull()
  store.stopTimers()
})

it('keeps the bytes of a photo the server refused, but neither uploads them nor lets them hold up a sign-out', async () => {
  const { calls } = onlineServer('feng', 'rejected')
  const store = await import('../src/store')
  await store.login('feng', 'pw')
  await store.mutate('photo.add', photoArgs('01a21961-6594-728d-a6fe-61e3a96f3452'), { sha256: SHA, bytes: new Blob([new Uint8Array(10)]) })
  await store.syncNow()
  expect(store.state.failed.map((f) => f.reason)).toEqual(['job unknown'])
  expect(store.state.uploadsWaiting).toBe(0) // not unsent work: no record will ever name them
  expect(store.state.uploadsDetached).toBe(1) // shown as not attached
  expect(calls.filter((u) => u.includes('/api/uploads'))).toEqual([]) // nor sent for nothing
  const device = store.deviceDb()
  expect(await device.blobs.count()).toBe(1) // kept with the refused mutation
  expect(await store.logout(false)).toBe(true)
  store.stopTimers()
})

it('keeps no photo bytes when their record cannot be queued', async () => {
  const store = await offlineEngineer('u7', 'qian')
  const bytes = { sha256: SHA, bytes: new Blob([new Uint8Array(10)]) }
  await expect(store.mutate('photo.add', { ...photoArgs('01a21961-6594-728d-a6fe-61e3a96f3453'), category: 'selfie' }, bytes)).rejects.toThrow('invalid category')
  expect(await store.deviceDb().blobs.count()).toBe(0) // nothing left to wait for ever
  expect(store.state.uploadsWaiting).toBe(0)
  expect(await store.logout(false)).toBe(true)
  store.stopTimers()
})

it('keeps its device id across sign-ins, and takes a new one when its database has gone', async () => {
  vi.stubGlobal('window', { addEventListener: () => {} })
  vi.stubGlobal('navigator', { onLine: true, userAgent: 'test', storage: { persisted: async () => true } })
  const devices: string[] = []
  vi.stubGlobal(
    'fetch',
    vi.fn(async (url: string, init?: RequestInit) => {
      if (url === '/api/auth/login') {
        devices.push((JSON.parse(String(init?.body)) as { device_id: string }).device_id)
        return json(200, {
          access_token: 'a',
          refresh_token: 'r',
          refresh_expires_at: '',
          user: { id: 'u2', username: 'li', display_name: 'L', role: 'engineer', locale: 'zh-CN' },
        })
      }
      if (url.includes('/api/sync/pull')) return json(200, { cursor: 'c', has_more: false, items: [], evictions: [], resync: false })
      return json(200, {})
    }),
  )
  const store = await import('../src/store')
  const { default: Dexie } = await import('dexie')
  const { deviceDbName } = await import('../src/db')
  await store.login('li', 'pw')
  expect(await store.logout()).toBe(true)
  await store.login('li', 'pw')
  expect(devices[1]).toBe(devices[0]) // the same phone, the same device and counter
  expect(await store.logout()).toBe(true)
  await Dexie.delete(deviceDbName(devices[0]))
  await store.login('li', 'pw')
  // Its counter is gone: under the old id its sequence numbers would clash with those used.
  expect(devices[2]).not.toBe(devices[0])
  expect(store.state.deviceId).toBe(devices[2])
  expect(await store.logout()).toBe(true)
  store.stopTimers()
})

it('shows a change as it was queued: text the outbox cleaned is cleaned on screen too', async () => {
  const store = await offlineEngineer('u3', 'zhao')
  const job = '01a21961-6594-728d-a6fe-61e3a96f3413'
  const note = '01a21961-6594-728d-a6fe-61e3a96f3414'
  await store.mutate('note.add', { id: note, job_id: job, body: 'SN\u0000' })
  // The signed report's hash is taken from this view: it must hold what the server will store.
  expect(store.view.value.get(`notes:${note}`)?.body).toBe('SN\uFFFD')
  const queued = await store.deviceDb().outbox.toArray()
  expect(queued.map((e) => e.args.body)).toEqual(['SN\uFFFD'])
  expect(await store.logout(true)).toBe(true)
  store.stopTimers()
})

it('counts per job the answered conflicts no pull has followed yet', async () => {
  const store = await offlineEngineer('u4', 'sun')
  const job = '01a21961-6594-728d-a6fe-61e3a96f3420'
  const answered = { name: 'job.record', at: '2026-11-26T10:00:00Z', args: { job_id: job, fields: { diagnosis: 'x' } } }
  await store.deviceDb().acked.bulkPut([
    { ...answered, seq: 1, id: '01a21961-6594-728d-a6fe-61e3a96f3421', jobId: job, status: 'conflict', conflicts: ['c1'], answeredAt: '' },
    { ...answered, seq: 2, id: '01a21961-6594-728d-a6fe-61e3a96f3422', jobId: job, status: 'applied', conflicts: [], answeredAt: '' },
  ])
  await store.refresh()
  expect(store.state.conflictedByJob).toEqual({ [job]: 1 })
  await store.deviceDb().acked.clear() // a pull followed
  await store.refresh()
  expect(store.state.conflictedByJob).toEqual({})
  expect(await store.logout(true)).toBe(true)
  store.stopTimers()
})

it('says a tap on "sync now" offline tried nothing, and keeps the change queued', async () => {
  const store = await offlineEngineer('u5', 'zhou')
  const job = '01a21961-6594-728d-a6fe-61e3a96f3430'
  await store.mutate('note.add', { id: '01a21961-6594-728d-a6fe-61e3a96f3431', job_id: job, body: 'on site' })
  const calls = vi.mocked(fetch).mock.calls.length
  expect(await store.syncNow()).toBe('offline')
  expect(vi.mocked(fetch).mock.calls.length).toBe(calls) // no push was tried
  expect(store.state.syncing).toBe(false) // nor shown as syncing
  expect(store.state.online).toBe(false)
  expect(store.state.pending).toBe(1)
  expect(await store.logout(true)).toBe(true)
  store.stopTimers()
})

it('says a sync that was tried and stopped failed, the change kept for the next one', async () => {
  const store = await offlineEngineer('u6', 'wu')
  await store.mutate('note.add', { id: '01a21961-6594-728d-a6fe-61e3a96f3441', job_id: '01a21961-6594-728d-a6fe-61e3a96f3440', body: 'x' })
  vi.stubGlobal('navigator', { onLine: true, userAgent: 'test', languages: ['en'] }) // signal, but the server is out of reach
  vi.stubGlobal('fetch', vi.fn(async () => Promise.reject(new TypeError('Failed to fetch'))))
  expect(await store.syncNow()).toBe('failed')
  expect(store.state.pending).toBe(1)
  expect(store.state.lastError).toContain('Failed to fetch')
  expect(await store.logout(true)).toBe(true)
  store.stopTimers()
})

it('removes and changes a photo offline, queued for its job with the base it showed; not once the customer signed', async () => {
  const store = await offlineEngineer('u8', 'chen')
  const [wrong, kept, late] = ['01a21961-6594-728d-a6fe-61e3a96f3461', '01a21961-6594-728d-a6fe-61e3a96f3462', '01a21961-6594-728d-a6fe-61e3a96f3463']
  await store.mutate('photo.add', photoArgs(wrong), { sha256: SHA, bytes: new Blob([new Uint8Array(10)]) })
  await store.mutate('photo.add', photoArgs(kept, 'cd'.repeat(32)))
  await store.mutate('photo.remove', { id: wrong })
  await store.mutate('photo.change', { id: kept, fields: { category: 'defect', caption: '端子烧蚀' } })
  expect(store.view.value.get(`photos:${wrong}`)?.removed_at).toBe('pending')
  expect(store.view.value.get(`photos:${kept}`)).toMatchObject({ category: 'defect', caption: '端子烧蚀' })
  const queued = await store.deviceDb().outbox.orderBy('seq').toArray()
  expect(queued.slice(2).map((e) => [e.name, e.args, e.jobId])).toEqual([
    ['photo.remove', { id: wrong }, JOB],
    ['photo.change', { id: kept, fields: { category: 'defect', caption: '端子烧蚀' }, base: { category: 'before', caption: '' } }, JOB],
  ])
  expect(store.state.pendingByJob[JOB]).toBe(4)
  expect(store.state.uploadsWaiting).toBe(1) // the removed photo's bytes still go: its record stays on the server

  await store.mutate('photo.add', photoArgs(late, 'ef'.repeat(32)))
  const strokes = { width: 600, height: 200, strokes: [Array.from({ length: 10 }, (_, i) => ({ x: 10 + i * 10, y: 50 }))] }
  await store.mutate('signature.add', {
    id: '01a21961-6594-728d-a6fe-61e3a96f3464', job_id: JOB, signer_role: 'customer', signer_name: '赵经理', strokes, content_sha256: 'ab'.repeat(32),
  })
  const reason = 'the customer has signed the report with this photo in it'
  await expect(store.mutate('photo.remove', { id: late })).rejects.toThrow(reason)
  await expect(store.mutate('photo.change', { id: late, fields: { caption: 'x' } })).rejects.toThrow(reason)
  expect(await store.deviceDb().outbox.count()).toBe(6) // nothing queued for the server to refuse
  expect(store.view.value.get(`photos:${late}`)?.removed_at).toBeNull()
  expect(await store.logout(true)).toBe(true)
  store.stopTimers()
})
