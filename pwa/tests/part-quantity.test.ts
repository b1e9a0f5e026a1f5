import { describe, expect, it } from 'vitest'
import { countedPart, minusOff, quantityText, stepperMin, vanShortfall } from '../src/part-quantity'

describe('a part counted in pieces or measured', () => {
  it('counts pieces whether the unit is recorded in Chinese or in English', () => {
    for (const unit of ['个', '台', '套', '只', '件']) expect(countedPart({ unit }), unit).toBe(true)
    expect(countedPart({ unit: '', unit_en: 'PC' })).toBe(true)
    expect(countedPart({ unit: 'set' })).toBe(true)
  })

  it('measures metres, kilograms and litres', () => {
    for (const unit of ['米', 'kg', '升', 'L', 'm']) expect(countedPart({ unit }), unit).toBe(false)
    expect(countedPart({ unit: '米', unit_en: 'm' })).toBe(false)
    expect(countedPart(undefined)).toBe(false)
  })
})

describe('the quantity queued for what the stepper holds', () => {
  it('is a whole number of a counted part', () => {
    expect(quantityText(2, true)).toBe('2')
    expect(quantityText('3', true)).toBe('3')
    expect(quantityText('1.6', true)).toBe('2')
  })

  it('keeps up to three decimals of a measure, as the server does', () => {
    expect(quantityText('0.5', false)).toBe('0.5')
    expect(quantityText(1.25, false)).toBe('1.25')
    expect(quantityText('2.0004', false)).toBe('2')
    expect(quantityText('0.001', false)).toBe('0.001')
  })

  it('is nothing while the field holds no positive quantity (typing "0." on the way to "0.5")', () => {
    for (const typed of ['', '0', '0.', '.', '0.0004', '-1', 'abc', '1e3']) expect(quantityText(typed, false), typed).toBeNull()
    expect(quantityText('0.4', true)).toBeNull()
    expect(quantityText(0, true)).toBeNull()
    expect(quantityText(1_000_001, true)).toBeNull()
    expect(quantityText(1_000_000, true)).toBe('1000000')
  })
})

describe('the stepper', () => {
  it('stops "−" at 1: an engineer once stepped a bearing down to 0.001 pieces', () => {
    expect(stepperMin('1.000', true)).toBe(1)
    expect(stepperMin('5.000', true)).toBe(1)
    expect(minusOff('1.000')).toBe(true)
    expect(minusOff('1.5')).toBe(true)
    expect(minusOff('2.000')).toBe(false)
  })

  it('lets a measure be typed below 1', () => {
    expect(stepperMin('1.000', false)).toBe(0.001)
  })

  it('shows a counted line already below 1 as it is, not as 1', () => {
    expect(stepperMin('0.001', true)).toBe(0.001)
  })
})

describe('a line that takes the van below zero', () => {
  it('is said for a part the van does not hold at all', () => {
    expect(vanShortfall(undefined, 0, 1)).toEqual({ had: 0, quantity: 1 })
    expect(vanShortfall(0, 0, 1)).toEqual({ had: 0, quantity: 1 })
  })

  it('is said when a step takes more than the van held for the line', () => {
    // The van held 2; the line took both; one more makes 3.
    expect(vanShortfall(0, 2, 3)).toEqual({ had: 2, quantity: 3 })
    expect(vanShortfall(-1, 1, 2)).toEqual({ had: 0, quantity: 2 }) // already short elsewhere
  })

  it('is not said while the van covers the line, nor when the line shrinks', () => {
    expect(vanShortfall(5, 0, 1)).toBeNull()
    expect(vanShortfall(1, 2, 3)).toBeNull()
    expect(vanShortfall(0.5, 0, 0.5)).toBeNull()
    expect(vanShortfall(-2, 3, 2)).toBeNull()
    expect(vanShortfall(-2, 3, 3)).toBeNull()
  })
})
