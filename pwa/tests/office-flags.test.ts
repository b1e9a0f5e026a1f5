import { describe, expect, it } from 'vitest'
import { flagTags } from '../src/office/flags'
import type { ReviewItem } from '../src/office/types'

const item = (flags: Partial<ReviewItem['flags']>): ReviewItem => ({
  id: 'j1', number: 'FS-2026-000001', status: 'signed', customer_name: '', engineer_name: null,
  completed_at: null, signed_at: null, review_note: '',
  flags: { unsigned: false, no_after_photo: false, open_conflicts: 0, clock_skew: false, beyond_van_stock: [], ...flags },
})
const t = (key: string, named?: Record<string, unknown>) => `${key}${named ? JSON.stringify(named) : ''}`

describe('the review queue’s flags', () => {
  it('say how many photos are still uploading, the report waiting for them', () => {
    expect(flagTags(item({ photos_on_the_way: 2 }), t)).toEqual([
      { text: 'review.photos_on_the_way{"n":2}', type: 'warning' },
    ])
  })

  it('say nothing of photos when all have arrived, or when an older server sends no count', () => {
    expect(flagTags(item({ photos_on_the_way: 0 }), t)).toEqual([])
    expect(flagTags(item({}), t)).toEqual([])
  })
})
