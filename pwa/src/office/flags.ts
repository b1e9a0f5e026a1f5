// The review queue's flags (docs/api.md "After the visit") as tags to show.
import type { ReviewItem } from './types'

export interface FlagTag {
  text: string
  type: 'danger' | 'warning'
}

export function flagTags(item: ReviewItem, t: (key: string, named?: Record<string, unknown>) => string): FlagTag[] {
  const f = item.flags
  const out: FlagTag[] = []
  if (f.unsigned) out.push({ text: t('review.unsigned'), type: 'danger' })
  if (f.no_after_photo) out.push({ text: t('review.no_after_photo'), type: 'warning' })
  if (f.open_conflicts > 0) out.push({ text: t('review.open_conflicts', { n: f.open_conflicts }), type: 'danger' })
  if (f.clock_skew) out.push({ text: t('review.clock_skew'), type: 'warning' })
  if (f.photos_on_the_way) out.push({ text: t('review.photos_on_the_way', { n: f.photos_on_the_way }), type: 'warning' })
  if (f.beyond_van_stock.length) {
    out.push({ text: t('review.beyond_van_stock', { codes: f.beyond_van_stock.join(', ') }), type: 'warning' })
  }
  return out
}
