import { describe, expect, it, vi } from 'vitest'
import { defaultBilling, departmentInstant, inWarranty } from '../src/jobdata'

describe('warranty on the phone', () => {
  it('counts the day in the department’s time zone (Asia/Shanghai), not in UTC', () => {
    const asset = { warranty_end: '2026-03-14' }
    // 2026-03-15 01:00 in Shanghai: the last covered day has ended there.
    expect(inWarranty(asset, new Date('2026-03-14T17:00:00Z'))).toBe(false)
    // 2026-03-14 23:59 in Shanghai: still covered.
    expect(inWarranty(asset, new Date('2026-03-14T15:59:00Z'))).toBe(true)
    expect(inWarranty({}, new Date('2026-03-14T15:59:00Z'))).toBeNull()
  })

  it('defaults a new part line to chargeable unless the asset is known to be in warranty', () => {
    const on = new Date('2026-03-14T04:00:00Z')
    expect(defaultBilling({ warranty_end: '2026-03-14' }, on)).toBe('warranty')
    expect(defaultBilling({ warranty_end: '2026-03-13' }, on)).toBe('chargeable')
    // No acceptance date on record: chargeable until someone records it (sync/rules/warranty.py).
    expect(defaultBilling({ warranty_end: null }, on)).toBe('chargeable')
    expect(defaultBilling(undefined, on)).toBe('chargeable')
  })
})

describe('department time on the phone', () => {
  it('reads a promised day at 17:00 in Shanghai, not in the phone\'s own zone', () => {
    expect(departmentInstant('2026-11-26', '17:00').toISOString()).toBe('2026-11-26T09:00:00.000Z')
    expect(departmentInstant('2026-12-31', '17:00').toISOString()).toBe('2026-12-31T09:00:00.000Z')
    expect(departmentInstant('2027-01-01', '00:30').toISOString()).toBe('2026-12-31T16:30:00.000Z')
  })
})

describe('times shown on the phone', () => {
  it('shows an instant on the department’s clock (Asia/Shanghai), not the phone’s zone', async () => {
    const { shortTime } = await import('../src/jobdata')
    // 2026-11-26 23:30 UTC is 11/27 07:30 in Shanghai, whatever zone the phone is set to.
    const zone = process.env.TZ
    try {
      for (const tz of ['UTC', 'America/Los_Angeles', 'Asia/Shanghai']) {
        process.env.TZ = tz
        expect(shortTime('2026-11-26T23:30:00Z')).toBe('11/27 07:30')
      }
    } finally {
      process.env.TZ = zone
    }
    expect(shortTime('pending')).toBe('')
  })

  it('shows a deadline at midnight as 24:00 of the day that ends, not 00:00 of the next', async () => {
    const { shortDue } = await import('../src/jobdata')
    // 2026-12-02 16:00 UTC is 12/3 00:00 in Shanghai: the end of Wednesday 12/2 there.
    expect(shortDue('2026-12-02T16:00:00Z')).toBe('12/2 24:00')
    expect(shortDue('2026-12-31T16:00:00Z')).toBe('12/31 24:00')
    expect(shortDue('2026-12-02T16:01:00Z')).toBe('12/3 00:01')
    expect(shortDue('2026-12-02T09:30:00Z')).toBe('12/2 17:30')
    expect(shortDue(undefined)).toBe('')
  })
})

describe('part quantity steps', () => {
  it('queues the last step of each line once, at the pause or at once when the screen is left', async () => {
    const { keyedDebounce } = await import('../src/jobdata')
    vi.useFakeTimers()
    try {
      const sent: string[] = []
      const steps = keyedDebounce(500)
      steps.schedule('a', () => sent.push('a=2'))
      steps.schedule('a', () => sent.push('a=3'))
      steps.schedule('b', () => sent.push('b=5'))
      // The engineer taps "back" before the pause: nothing may be lost.
      steps.flush()
      expect(sent).toEqual(['a=3', 'b=5'])
      vi.advanceTimersByTime(1000)
      expect(sent).toEqual(['a=3', 'b=5'])
      steps.schedule('a', () => sent.push('a=4'))
      vi.advanceTimersByTime(500)
      expect(sent).toEqual(['a=3', 'b=5', 'a=4'])
    } finally {
      vi.useRealTimers()
    }
  })
})

describe('an empty record before "work done"', () => {
  it('names the diagnosis and the work done when they are blank or only spaces', async () => {
    const { missingRecord } = await import('../src/jobdata')
    expect(missingRecord({ diagnosis: null, work_done: '' })).toEqual(['diagnosis', 'work_done'])
    expect(missingRecord({ diagnosis: '触点烧蚀', work_done: '  ' })).toEqual(['work_done'])
    expect(missingRecord({ diagnosis: 'Burnt contact', work_done: 'Replaced the contactor' })).toEqual([])
    expect(missingRecord(undefined)).toEqual(['diagnosis', 'work_done'])
  })

  it('asks in both languages', async () => {
    vi.stubGlobal('navigator', { languages: ['en'], language: 'en' })
    const { i18n } = await import('../src/i18n')
    const ask = (locale: 'en' | 'zh-CN') =>
      i18n.global.t('job.workDoneEmpty', { fields: ['diagnosis', 'work_done'].map((f) => i18n.global.t(`record.${f}`, {}, { locale }).toLowerCase()).join(' / ') }, { locale })
    expect(ask('en')).toBe('The record has no diagnosis / work done yet. Mark the work done anyway?')
    expect(ask('zh-CN')).toBe('服务记录尚未填写故障诊断 / 处理结果。仍要标记完工吗？')
  })
})

describe('the conflicts a phone shows', () => {
  it('are its user’s own: a job taken over brings the former engineer’s, which are not theirs', async () => {
    const { state, view } = await import('../src/store')
    const { openConflicts } = await import('../src/jobdata')
    const conflict = (id: string, job: string, user: string, status = 'open') => [
      `sync_conflicts:${id}`, { id, job_id: job, user_id: user, status },
    ] as const
    view.value = new Map([
      conflict('c1', 'j1', 'me'),
      conflict('c2', 'j1', 'former'),
      conflict('c3', 'j2', 'me', 'resolved'),
      conflict('c4', 'j2', 'me'),
    ])
    state.user = { id: 'me', username: 'li', display_name: 'Li', role: 'engineer', locale: 'en' }
    expect(openConflicts().map((c) => c.id)).toEqual(['c1', 'c4'])
    expect(openConflicts('j1').map((c) => c.id)).toEqual(['c1'])
    state.user = null
    expect(openConflicts('j1').map((c) => c.id)).toEqual(['c1', 'c2'])
  })
})
