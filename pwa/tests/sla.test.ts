import { describe, expect, it } from 'vitest'
import { fitWithin } from '../src/media'
import { isToday, slaOf } from '../src/sla'

const NOW = new Date('2026-11-26T10:00:00Z')
const job = (over: Record<string, string | null>) => ({
  status: 'assigned',
  plan_given_at: '2026-11-26T08:00:00Z',
  arrived_at: null,
  plan_due_at: '2026-11-27T08:00:00Z',
  plan_at_risk_at: '2026-11-27T02:00:00Z',
  on_site_due_at: '2026-11-26T16:00:00Z',
  on_site_at_risk_at: '2026-11-26T12:00:00Z',
  scheduled_at: null,
  ...over,
})

describe('SLA badges', () => {
  it('follows the next open clock: on time, at risk, overdue', () => {
    expect(slaOf(job({}), NOW)).toMatchObject({ state: 'ok', clock: 'on_site' })
    expect(slaOf(job({ on_site_at_risk_at: '2026-11-26T09:00:00Z' }), NOW).state).toBe('at_risk')
    expect(slaOf(job({ on_site_due_at: '2026-11-26T09:30:00Z' }), NOW).state).toBe('overdue')
    expect(slaOf(job({ plan_given_at: null, plan_due_at: '2026-11-26T09:00:00Z' }), NOW)).toMatchObject({
      state: 'overdue',
      clock: 'plan',
    })
  })

  it('is at risk, not overdue, exactly at the due time, as the office sees it', () => {
    const due = job({ on_site_due_at: NOW.toISOString(), on_site_at_risk_at: '2026-11-26T08:00:00Z' })
    expect(slaOf(due, NOW).state).toBe('at_risk')
    expect(slaOf(due, new Date(NOW.getTime() + 1)).state).toBe('overdue')
  })

  it('is met once the work is done, and a met job is not on today’s list by its clock', () => {
    expect(slaOf(job({ status: 'work_done' }), NOW).state).toBe('met')
    expect(isToday(job({}), NOW)).toBe(true)
    expect(isToday(job({ status: 'signed' }), NOW)).toBe(false)
  })

  it('says done late when a clock stopped after its due time, and keeps such a job off today’s list', () => {
    const late = job({ status: 'signed', arrived_at: '2026-11-26T16:00:01Z' })
    expect(slaOf(late, NOW)).toMatchObject({ state: 'late', due: '2026-11-26T16:00:00Z', clock: 'on_site' })
    expect(slaOf(job({ status: 'signed', arrived_at: '2026-11-26T16:00:00Z' }), NOW).state).toBe('met')
    expect(slaOf(job({ status: 'closed', plan_given_at: '2026-11-27T08:30:00Z', arrived_at: '2026-11-26T15:00:00Z' }), NOW))
      .toMatchObject({ state: 'late', clock: 'plan' })
    expect(isToday(late, NOW)).toBe(false)
  })

  it('says a cancelled job is cancelled, not done, and keeps it off today’s list by its clock', () => {
    expect(slaOf(job({ status: 'cancelled' }), NOW)).toMatchObject({ state: 'cancelled', due: null })
    expect(isToday(job({ status: 'cancelled' }), NOW)).toBe(false)
    // Scheduled for today, it stays in sight, so the engineer sees that it was called off.
    expect(isToday(job({ status: 'cancelled', scheduled_at: '2026-11-26T11:00:00Z' }), NOW)).toBe(true)
  })
})

describe('photo size on the device', () => {
  it('fits the longest edge within 2048 px and never enlarges', () => {
    expect(fitWithin(4000, 3000)).toEqual({ width: 2048, height: 1536 })
    expect(fitWithin(3000, 4000)).toEqual({ width: 1536, height: 2048 })
    expect(fitWithin(800, 600)).toEqual({ width: 800, height: 600 })
  })
})

describe('today on the department’s clock', () => {
  it('counts a job scheduled today in Shanghai as today, whatever the phone’s zone', () => {
    const zone = process.env.TZ
    try {
      process.env.TZ = 'UTC'
      // 2026-11-26 23:30 UTC is 11/27 07:30 in Shanghai; the job is due far ahead.
      const now = new Date('2026-11-26T23:30:00Z')
      const far = { plan_due_at: '2026-12-30T08:00:00Z', plan_given_at: null, on_site_due_at: null }
      // Scheduled 11/27 09:00 Shanghai (01:00 UTC): today there.
      expect(isToday(job({ ...far, scheduled_at: '2026-11-27T01:00:00Z' }), now)).toBe(true)
      // Scheduled 11/26 10:00 Shanghai (02:00 UTC): yesterday there, though "today" in UTC.
      expect(isToday(job({ ...far, scheduled_at: '2026-11-26T02:00:00Z' }), now)).toBe(false)
    } finally {
      process.env.TZ = zone
    }
  })
})
