import { describe, expect, it } from 'vitest'
import { partName, partUnit } from '../src/part-text'

describe('a part’s unit in the interface’s language', () => {
  const part = { code: 'CMP-3HP', name: '压缩机 3匹', name_en: 'Compressor 3 HP', unit: '台', unit_en: 'set' }

  it('is the English unit in English and the recorded one in Chinese', () => {
    expect(partUnit(part, 'en')).toBe('set') // an engineer in English once read "2 台"
    expect(partUnit(part, 'zh-CN')).toBe('台')
  })

  it('falls back to the recorded unit where the catalogue has no English one', () => {
    expect(partUnit({ ...part, unit_en: '' }, 'en')).toBe('台')
    expect(partUnit({ ...part, unit_en: null }, 'en')).toBe('台')
    expect(partUnit({ unit: '台' }, 'en')).toBe('台') // an older server sends no unit_en
    expect(partUnit(undefined, 'en')).toBe('')
  })
})

describe('a part’s name in the interface’s language', () => {
  it('is the English name in English where the catalogue has one, else the recorded one', () => {
    const part = { name: '压缩机 3匹', name_en: 'Compressor 3 HP' }
    expect(partName(part, 'en')).toBe('Compressor 3 HP')
    expect(partName(part, 'zh-CN')).toBe('压缩机 3匹')
    expect(partName({ name: '压缩机 3匹', name_en: '' }, 'en')).toBe('压缩机 3匹')
    expect(partName({ name: '压缩机 3匹' }, 'en')).toBe('压缩机 3匹') // an older server
  })
})
