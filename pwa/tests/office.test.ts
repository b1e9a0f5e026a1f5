import { describe, expect, it } from 'vitest'
import { formatCountdown, runningClock, toneOf } from '../src/office/countdown'
import { can, homeOf, isOfficeRole, menuFor } from '../src/office/menus'
import { jobIdsOf, SseParser } from '../src/office/sse'

describe('SLA countdown', () => {
  const now = Date.parse('2026-11-26T10:00:00Z')
  it('formats hours, minutes and seconds left, with days when more than one', () => {
    expect(formatCountdown('2026-11-26T13:04:05Z', now)).toBe('03:04:05')
    expect(formatCountdown('2026-11-28T10:00:01Z', now)).toBe('2d 00:00:01')
  })
  it('counts past the deadline with a minus sign and ticks by the second', () => {
    expect(formatCountdown('2026-11-26T09:47:30Z', now)).toBe('-00:12:30')
    expect(formatCountdown('2026-11-26T10:00:10Z', now + 1000)).toBe('00:00:09')
  })
  it('turns a clock red once its deadline passes while on screen', () => {
    expect(toneOf('ok', '2026-11-26T11:00:00Z', now)).toBe('ok')
    expect(toneOf('at_risk', '2026-11-26T11:00:00Z', now)).toBe('at_risk')
    expect(toneOf('ok', '2026-11-26T09:59:59Z', now)).toBe('breached')
    // Exactly at the due time a clock is still at risk (docs/sla.md), breached just after.
    expect(toneOf('at_risk', new Date(now).toISOString(), now)).toBe('at_risk')
    expect(toneOf('at_risk', new Date(now - 1).toISOString(), now)).toBe('breached')
    expect(toneOf('met', '2026-11-26T09:00:00Z', now)).toBe('done')
  })
  it('races the plan until it is given, then arrival on site', () => {
    const sla = { plan: 'ok', plan_due: 'P', on_site: 'ok', on_site_due: 'S' }
    expect(runningClock(sla)).toEqual({ clock: 'plan', due: 'P', state: 'ok' })
    expect(runningClock({ ...sla, plan: 'met', on_site: 'at_risk' })).toEqual({ clock: 'on_site', due: 'S', state: 'at_risk' })
    expect(runningClock({ ...sla, plan: 'missed', on_site: 'met' })).toBeNull()
  })
  it('shows the call-back clock of a settled job, the one that put it among the jobs at risk', () => {
    const settled = { plan: 'met', plan_due: 'P', on_site: 'met', on_site_due: 'S', callback: 'at_risk', callback_due: 'C' }
    expect(runningClock(settled)).toEqual({ clock: 'callback', due: 'C', state: 'at_risk' })
    expect(runningClock({ ...settled, callback: 'met' })).toBeNull()
    expect(runningClock({ ...settled, callback: null, callback_due: null })).toBeNull()
  })
  it('words the days in the reader\'s language', () => {
    expect(formatCountdown('2026-11-30T10:40:42Z', now, (n) => `${n}天`)).toBe('4天 00:40:42')
  })
})

describe('SSE parser', () => {
  it('parses events split across chunks and ignores keep-alive comments', () => {
    const p = new SseParser()
    expect(p.feed('event: ready\ndata: {}\n\n: keep-alive\n\nevent: jo')).toEqual([{ event: 'ready', data: '{}' }])
    expect(p.feed('bs\ndata: {"jobs": ["a", "b"]}\r')).toEqual([])
    const [ev] = p.feed('\n\r\n')
    expect(ev).toEqual({ event: 'jobs', data: '{"jobs": ["a", "b"]}' })
    expect(jobIdsOf(ev)).toEqual(['a', 'b'])
  })
  it('joins multi-line data, defaults the event name, and names no job for bad data', () => {
    const p = new SseParser()
    const [ev] = p.feed('data: one\ndata:two\n\n')
    expect(ev).toEqual({ event: 'message', data: 'one\ntwo' })
    expect(jobIdsOf(ev)).toEqual([])
    expect(p.feed('event: jobs\n\n')).toEqual([])
  })
})

describe('role menus', () => {
  const keys = (role: string) => menuFor(role).map((m) => m.key)
  it('gives the dispatcher the desk but not the review queue', () => {
    expect(keys('dispatcher')).toEqual(['intake', 'board', 'conflicts', 'settlement', 'van', 'receipts', 'followup', 'complaints', 'figures', 'customers', 'catalogue'])
    expect(can('dispatcher', 'review')).toBe(false)
    expect(can('dispatcher', 'settle')).toBe(true)
  })
  it('lets the supervisor review and reclassify, quality only read', () => {
    expect(keys('supervisor')).toContain('review')
    expect(can('supervisor', 'reclassify')).toBe(true)
    expect(keys('quality')).toEqual(['review', 'conflicts', 'settlement', 'van', 'receipts', 'complaints', 'figures', 'customers', 'catalogue'])
    expect(keys('admin')).toContain('people')
    expect(keys('supervisor')).not.toContain('people')
    for (const action of ['dispatch', 'review', 'resolve', 'settle', 'reclassify', 'followup', 'complain', 'records', 'catalogue', 'people'] as const) {
      expect(can('quality', action)).toBe(false)
    }
    expect(homeOf('quality')).toBe('/review')
  })
  it('refuses engineers and unknown roles', () => {
    expect(isOfficeRole('engineer')).toBe(false)
    expect(menuFor('engineer')).toEqual([])
    expect(homeOf('engineer')).toBe('/login')
    expect(isOfficeRole('admin')).toBe(true)
  })
})
