import { describe, expect, it } from 'vitest'
import {
  countOf, currentMonth, dateTime, dueDateTime, fromPicker, languageKey, LOCALES, periodOf, periodParts, quarterOf, toPicker,
} from '../src/office/format'

// The desk's PC may be set to any zone (a laptop brought back from abroad, a VM in UTC); the
// console shows the department's wall clock, as the server counts it.
process.env.TZ = 'America/New_York'

describe('department time', () => {
  it('shows an instant as the wall clock in Asia/Shanghai, not the PC zone', () => {
    // 01:30 on the 27th in Shanghai is 12:30 on the 26th in New York.
    expect(dateTime('2026-11-26T17:30:00Z', 'en')).toBe('27/11/2026, 01:30')
    expect(dateTime('2026-11-26T17:30:00Z', 'zh-CN')).toBe('2026/11/27 01:30')
    expect(dateTime(null, 'en')).toBe('—')
  })
  it('takes the current month in the department: the 1st before 08:00 there is the new month', () => {
    expect(currentMonth(new Date('2026-11-30T17:00:00Z'))).toBe('2026-12')
    expect(currentMonth(new Date('2026-11-30T15:59:59Z'))).toBe('2026-11')
  })
  it('names a period of figures as the server takes it: a month, a quarter or a year', () => {
    expect(periodOf('month', '2026-11', '2025', 2)).toBe('2026-11')
    expect(periodOf('quarter', '2026-11', '2025', 2)).toBe('2025-Q2')
    expect(periodOf('year', '2026-11', '2025', 2)).toBe('2025')
    expect(['2026-01', '2026-03', '2026-04', '2026-06', '2026-07', '2026-09', '2026-10', '2026-12'].map(quarterOf)).toEqual([
      1, 1, 2, 2, 3, 3, 4, 4,
    ])
  })
  it('reads a period back into what the pickers hold, so a picker opens on the period it is given', () => {
    expect(periodParts('2026-11')).toEqual({ kind: 'month', month: '2026-11', year: '2026', quarter: 4 })
    expect(periodParts('2025-Q2')).toEqual({ kind: 'quarter', month: '2025-04', year: '2025', quarter: 2 })
    expect(periodParts('2024')).toEqual({ kind: 'year', month: '2024-01', year: '2024', quarter: 1 })
    for (const period of ['2026-01', '2026-Q1', '2026-Q4', '2026']) {
      const p = periodParts(period)
      expect(periodOf(p.kind, p.month, p.year, p.quarter)).toBe(period)
    }
  })
  it('gives date pickers the department wall clock and reads theirs back there', () => {
    // The picker shows 09:00 on the 27th (Shanghai's wall clock) on this New York PC...
    const shown = toPicker('2026-11-27T01:00:00Z')
    expect([shown?.getDate(), shown?.getHours(), shown?.getMinutes()]).toEqual([27, 9, 0])
    // ...and 09:00 picked on it books 09:00 in Shanghai, whatever the PC's zone.
    expect(fromPicker(new Date(2026, 10, 27, 9, 0))).toBe('2026-11-27T01:00:00.000Z')
    expect(fromPicker(shown)).toBe('2026-11-27T01:00:00.000Z')
    expect(toPicker(null)).toBeNull()
    expect(fromPicker(null)).toBeNull()
  })
})

describe('countOf', () => {
  it('says how many a full list leaves out, and only then', () => {
    expect(countOf(200, 350)).toBe('200 / 350')
    expect(countOf(3, 3)).toBe('3')
    expect(countOf(0, 0)).toBe('0')
    expect(countOf(5, undefined)).toBe('5') // a server that sends no total
  })
})

describe('deadlines', () => {
  it('reads midnight in Shanghai as 24:00 of the day that ends, on a PC in any zone', () => {
    // The end of 2026-12-31 in Shanghai is 16:00 UTC; New York is still on the 31st's morning.
    expect(dueDateTime('2026-12-31T16:00:00Z', 'zh-CN')).toBe('2026/12/31 24:00')
    expect(dueDateTime('2026-12-31T16:00:00Z', 'en')).toBe('31/12/2026, 24:00')
    expect(dueDateTime('2026-12-31T15:59:00Z', 'zh-CN')).toBe(dateTime('2026-12-31T15:59:00Z', 'zh-CN'))
    expect(dueDateTime(null, 'en')).toBe('—')
  })
})

describe('a language', () => {
  it('is named by one text for both the account and the report language', () => {
    expect(LOCALES.map(languageKey)).toEqual(['common.lang_zh', 'common.lang_en'])
    expect(languageKey('zh-CN')).toBe('common.lang_zh')
  })
})
