import { describe, expect, it } from 'vitest'
import { inWarranty } from '../src/jobdata'

describe('warranty on the phone', () => {
  it('counts the day in the department’s time zone (Asia/Shanghai), not in UTC', () => {
    const asset = { warranty_end: '2026-03-14' }
    // 2026-03-15 01:00 in Shanghai: the last covered day has ended there.
    expect(inWarranty(asset, new Date('2026-03-14T17:00:00Z'))).toBe(false)
    // 2026-03-14 23:59 in Shanghai: still covered.
    expect(inWarranty(asset, new Date('2026-03-14T15:59:00Z'))).toBe(true)
    expect(inWarranty({}, new Date('2026-03-14T15:59:00Z'))).toBeNull()
  })
})
