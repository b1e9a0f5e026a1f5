import { describe, expect, it } from 'vitest'
import { canAccept, leftSinceArrival } from '../src/job-taps'

describe('"accept" on the job screen', () => {
  it('is offered for an assignment not yet acknowledged', () => {
    for (const status of ['assigned', 'reported', 'accepted', 'reopened']) {
      expect(canAccept({ status, acknowledged_at: null }), status).toBe(true)
    }
  })

  it('is not offered once the engineer is on the way, on site, done, or the job signed or cancelled', () => {
    for (const status of ['en_route', 'on_site', 'waiting_parts', 'work_done', 'signed', 'reviewed', 'closed', 'cancelled']) {
      expect(canAccept({ status, acknowledged_at: null }), status).toBe(false)
    }
  })

  it('is not offered once accepted, an unsent acceptance included', () => {
    expect(canAccept({ status: 'assigned', acknowledged_at: 'pending' })).toBe(false)
    expect(canAccept({ status: 'assigned', acknowledged_at: '2026-11-26T08:00:00Z' })).toBe(false)
    expect(canAccept(undefined)).toBe(false)
  })
})

describe('"left site" already logged', () => {
  const arrived = { kind: 'arrived', device_time: '2026-11-26T09:00:00+00:00' }

  it('is so once a departure from the site follows the last arrival, a pending one included', () => {
    expect(leftSinceArrival([arrived, { kind: 'left', device_time: '2026-11-26T10:00:00.000Z' }])).toBe(true)
  })

  it('is not so before leaving, nor after arriving again (waiting for parts, then back)', () => {
    expect(leftSinceArrival([])).toBe(false)
    expect(leftSinceArrival([{ kind: 'departed', device_time: '2026-11-26T08:00:00Z' }, arrived])).toBe(false)
    expect(leftSinceArrival([
      arrived,
      { kind: 'left', device_time: '2026-11-26T10:00:00Z' },
      { kind: 'arrived', device_time: '2026-11-27T09:00:00Z' },
    ])).toBe(false)
  })

  it('is so for a logged departure with no arrival on the phone', () => {
    expect(leftSinceArrival([{ kind: 'left', device_time: '2026-11-26T10:00:00Z' }])).toBe(true)
  })
})
