import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'
import {
  canonicalContent, canonicalQuantity, contentHash, contentOf, reviewPartName, reviewPartTranslation, reviewPartUnit, type ContentInput,
} from '../src/canonical'
import { applyLocally, type View } from '../src/mutators'

// The shared vectors (docs/report-content.md), also checked against pdf/canonical.py.
const VECTORS = fileURLToPath(new URL('../../tests/vectors/report_content.json', import.meta.url))
const vectors = JSON.parse(readFileSync(VECTORS, 'utf8')) as {
  name: string
  input: ContentInput
  canonical: string
  sha256: string
}[]

describe('canonical report content', () => {
  it('has vectors to check', () => {
    expect(vectors.length).toBeGreaterThanOrEqual(5)
  })

  for (const v of vectors) {
    it(`matches the shared vector ${v.name}`, async () => {
      expect(canonicalContent(v.input)).toBe(v.canonical)
      expect(await contentHash(v.input)).toBe(v.sha256)
    })
  }

  it('writes quantities without trailing zeros', () => {
    expect(canonicalQuantity('1.000')).toBe('1')
    expect(canonicalQuantity('010.0')).toBe('10')
    expect(canonicalQuantity('0.250')).toBe('0.25')
    expect(() => canonicalQuantity('-1')).toThrow()
  })

  it('builds the same content from a replica as from the joined vector input', async () => {
    const v = vectors.find((x) => x.name === 'chinese_full')!
    const inp = v.input
    const view: View = new Map()
    const jobId = '01a21961-6594-728d-a6fe-61e3a96f3413'
    view.set(`jobs:${jobId}`, { id: jobId, ...inp.job, customer_id: 'c', site_id: 's', asset_id: 'a' })
    view.set('customers:c', { id: 'c', ...inp.customer })
    view.set('sites:s', { id: 's', ...inp.site! })
    view.set('assets:a', { id: 'a', ...inp.asset! })
    for (const l of inp.part_lines) {
      view.set(`parts:p-${l.id}`, { id: `p-${l.id}`, code: l.part_code, name: l.part_name, unit: l.unit, name_en: 'x' })
      view.set(`part_lines:${l.id}`, { id: l.id, job_id: jobId, part_id: `p-${l.id}`, quantity: l.quantity, billing: l.billing,
        note: l.note ?? '', removed_at: l.removed_at ?? null, unit_price: '9.99' })
    }
    for (const p of inp.photos) view.set(`photos:${p.id}`, { ...p, job_id: jobId, removed_at: p.removed_at ?? null })
    for (const r of inp.receipts) view.set(`repair_receipts:${r.id}`, { ...r, job_id: jobId, number: 'RR-1' })
    const content = contentOf(view, jobId)!
    expect(await contentHash(content)).toBe(v.sha256)
  })

  it('leaves a photo removed on the phone out of what the customer signs at once, and shows a change', async () => {
    const view: View = new Map()
    const jobId = '01a21961-6594-728d-a6fe-61e3a96f3413'
    view.set(`jobs:${jobId}`, { id: jobId, number: 'J-1', customer_id: 'c' })
    const photo = (id: string, category: string) =>
      applyLocally(view, 'photo.add', { id, job_id: jobId, blob_sha256: id[0].repeat(64), category, caption: '' })
    photo('a1', 'before')
    const withoutWrong = await contentHash(contentOf(view, jobId)!)
    photo('b2', 'after') // the wrong photo
    expect(await contentHash(contentOf(view, jobId)!)).not.toBe(withoutWrong)
    applyLocally(view, 'photo.remove', { id: 'b2' })
    expect(await contentHash(contentOf(view, jobId)!)).toBe(withoutWrong)
    applyLocally(view, 'photo.change', { id: 'a1', fields: { caption: '压缩机' }, base: { caption: '' } })
    const signed = JSON.parse(canonicalContent(contentOf(view, jobId)!)) as { photos: { id: string; caption: string }[] }
    expect(signed.photos).toEqual([expect.objectContaining({ id: 'a1', caption: '压缩机' })])
  })

  it('names each part on the review screen as the content the customer signs does, in either language', () => {
    const view: View = new Map()
    const jobId = '01a21961-6594-728d-a6fe-61e3a96f3413'
    const part = { id: 'p1', code: 'CMP-3HP', name: '压缩机 3匹', name_en: 'Compressor 3 HP', unit: '台' }
    view.set(`jobs:${jobId}`, { id: jobId, number: 'J-1', customer_id: 'c' })
    view.set('parts:p1', part)
    view.set('part_lines:l1', { id: 'l1', job_id: jobId, part_id: 'p1', quantity: '1', billing: 'warranty', note: '' })
    const signed = JSON.parse(canonicalContent(contentOf(view, jobId)!)) as { parts: { name: string }[] }
    for (const locale of ['en', 'zh-CN']) {
      // An English-speaking customer once read "Compressor 3 HP" over a signature covering 压缩机 3匹.
      expect(reviewPartName(part, locale).signed).toBe(signed.parts[0].name)
    }
    expect(reviewPartName(part, 'en').translation).toBe('Compressor 3 HP') // a secondary line, in English only
    expect(reviewPartName(part, 'zh-CN').translation).toBe('')
    expect(reviewPartName({ ...part, name_en: '压缩机 3匹' }, 'en').translation).toBe('') // nothing new to say
    expect(reviewPartName({ ...part, name_en: null }, 'en')).toEqual({ signed: '压缩机 3匹', translation: '' })
  })

  it('gives each part’s unit on the review screen as signed, with the English unit as a translation only', () => {
    const view: View = new Map()
    const jobId = '01a21961-6594-728d-a6fe-61e3a96f3413'
    const part = { id: 'p1', code: 'CMP-3HP', name: '压缩机 3匹', name_en: 'Compressor 3 HP', unit: '台', unit_en: 'set' }
    view.set(`jobs:${jobId}`, { id: jobId, number: 'J-1', customer_id: 'c' })
    view.set('parts:p1', part)
    view.set('part_lines:l1', { id: 'l1', job_id: jobId, part_id: 'p1', quantity: '2.000', billing: 'warranty', note: '' })
    const signed = JSON.parse(canonicalContent(contentOf(view, jobId)!)) as { parts: Record<string, string>[] }
    expect(signed.parts[0].unit).toBe('台') // the English unit is not part of what the customer signs
    expect(Object.values(signed.parts[0])).not.toContain('set')
    for (const locale of ['en', 'zh-CN']) expect(reviewPartUnit(part, locale).signed).toBe(signed.parts[0].unit)
    expect(reviewPartUnit(part, 'en').translation).toBe('set')
    expect(reviewPartUnit(part, 'zh-CN').translation).toBe('')
    expect(reviewPartUnit({ ...part, unit_en: '台' }, 'en').translation).toBe('') // nothing new to say
    expect(reviewPartUnit({ ...part, unit_en: null }, 'en')).toEqual({ signed: '台', translation: '' })

    expect(reviewPartTranslation(part, '2.000', 'en')).toBe('Compressor 3 HP · 2 set')
    expect(reviewPartTranslation({ ...part, name_en: '' }, '2', 'en')).toBe('2 set')
    expect(reviewPartTranslation({ ...part, unit_en: '' }, '2', 'en')).toBe('Compressor 3 HP')
    expect(reviewPartTranslation(part, '2', 'zh-CN')).toBe('')
  })
})
