import { describe, expect, it, vi } from 'vitest'
import { callBackProblem, conflictEditSeed, labourHoursProblem } from '../src/office/checks'

vi.stubGlobal('localStorage', { getItem: () => null, setItem: () => undefined })
vi.stubGlobal('navigator', { languages: ['en'] })
const { messages } = await import('../src/office/i18n')

describe('labourHoursProblem', () => {
  it('takes plain decimals from 0 to 1000 with at most 3 decimals, and an empty box', () => {
    for (const ok of ['', '  ', '0', '7', '2.5', ' 2.5 ', '.5', '2.555', '1000', '1000.000', '007']) {
      expect([ok, labourHoursProblem(ok)]).toEqual([ok, null])
    }
  })

  it('refuses what is not a plain number: a sign, letters, an exponent, a comma', () => {
    for (const bad of ['-1', '+1', 'abc', '1e3', '1E3', '2,5', '2.', '1.2.3', 'NaN', 'Infinity', '0x10', '２.５']) {
      expect([bad, labourHoursProblem(bad)]).toEqual([bad, 'format'])
    }
  })

  it('refuses more than 3 decimals, and more than 1000 hours', () => {
    expect(labourHoursProblem('2.5555')).toBe('decimals')
    expect(labourHoursProblem('0.0001')).toBe('decimals')
    expect(labourHoursProblem('1000.001')).toBe('range')
    expect(labourHoursProblem('1001')).toBe('range')
  })
})

describe('callBackProblem', () => {
  it('needs a score of 1 to 5 first, then whether the customer is satisfied', () => {
    expect(callBackProblem({ score: 0, satisfied: null })).toBe('score')
    expect(callBackProblem({ score: 0, satisfied: true })).toBe('score')
    expect(callBackProblem({ score: 6, satisfied: true })).toBe('score')
    expect(callBackProblem({ score: 4, satisfied: null })).toBe('satisfied')
    expect(callBackProblem({ score: 4, satisfied: false })).toBeNull()
    expect(callBackProblem({ score: 1, satisfied: true })).toBeNull()
  })
})

describe('conflictEditSeed', () => {
  it("starts from the device's value as text", () => {
    expect(conflictEditSeed({ server_value: 'A: 轴承磨损', client_value: 'B: 叶轮松动' })).toBe('B: 叶轮松动')
    expect(conflictEditSeed({ server_value: '1', client_value: 2.5 })).toBe('2.5')
    expect(conflictEditSeed({ server_value: null, client_value: { a: 1 } })).toBe('{"a":1}')
  })

  it("falls back to the server's value when the device sent none, and never shows null", () => {
    // The engineer emptied the field: the box starts as the device left it, as the hint says.
    expect(conflictEditSeed({ server_value: 'A: 轴承磨损', client_value: '' })).toBe('')
    expect(conflictEditSeed({ server_value: 'A: 轴承磨损', client_value: null })).toBe('A: 轴承磨损')
    expect(conflictEditSeed({ server_value: null, client_value: null })).toBe('')
  })
})

describe('the words for these checks', () => {
  // The screens build these keys from the codes above and from the decision chosen.
  const KEYS = [
    ...['format', 'decimals', 'range'].map((c) => `settlement.hours_${c}`),
    ...['server', 'client'].flatMap((c) => [`conflicts.confirm_${c}`, `conflicts.confirmMany_${c}`]),
    'followup.needScore', 'followup.needSatisfied', 'followup.confirmClose', 'settlement.confirmSettle',
    'settlement.ready', 'settlement.settledJobs', 'board.reasonNeeded', 'intake.nameNeeded',
  ]
  const lookup = (tree: unknown, path: string): unknown =>
    path.split('.').reduce<unknown>((node, k) => (node as Record<string, unknown> | undefined)?.[k], tree)

  it('are there in both languages', () => {
    for (const locale of ['en', 'zh-CN'] as const) {
      const missing = KEYS.filter((key) => typeof lookup(messages[locale], key) !== 'string')
      expect([locale, missing]).toEqual([locale, []])
    }
  })
})
