import { describe, expect, it, vi } from 'vitest'

vi.stubGlobal('navigator', { languages: ['en'] })

const { hasJobs } = await import('../src/office/figures')
const { messages } = await import('../src/office/i18n')
type Figures = import('../src/office/types').Figures

const row = (reported: number, completed: number, complaints = 0): Figures => ({
  engineer_id: null, engineer_name: '', jobs_reported: reported, jobs_completed: completed, response_hours: null,
  to_site_hours: null, to_fix_hours: null, first_time_fix_rate: null, plan_sla_rate: null, site_sla_rate: null,
  satisfaction_on_site: null, satisfaction_callback: null, complaints, parts_cost_warranty: '0.00', parts_cost_chargeable: '0.00',
})

describe('the figures of a period', () => {
  it('have jobs to chart when one was reported or completed in it', () => {
    expect(hasJobs({ total: row(3, 0) })).toBe(true)
    expect(hasJobs({ total: row(0, 1) })).toBe(true)
  })

  it('have none in a period without jobs, even with a complaint recorded in it', () => {
    expect(hasJobs({ total: row(0, 0) })).toBe(false)
    expect(hasJobs({ total: row(0, 0, 2) })).toBe(false)
  })

  it('say so, and name the periods, in both languages', () => {
    for (const locale of ['en', 'zh-CN'] as const) {
      const m = messages[locale]
      const words = [m.figures.noJobs, m.period.month, m.period.quarter, m.period.year, m.period.quarterN]
      expect([locale, words.every((w) => typeof w === 'string' && w.length > 0)]).toEqual([locale, true])
    }
    expect(messages.en.figures.noJobs).toMatch(/^No jobs in this period/)
    expect(messages['zh-CN'].figures.noJobs).toMatch(/^本期没有工单/)
  })
})
