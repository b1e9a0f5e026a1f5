import { expect, it, vi } from 'vitest'

vi.stubGlobal('navigator', { languages: ['en'], language: 'en' })
const { i18n, mutationKey } = await import('../src/i18n')
const { MUTATIONS } = await import('../src/mutators')

it('names every mutation of the failed list in both languages, never by its code', () => {
  for (const locale of ['en', 'zh-CN'] as const) {
    for (const name of MUTATIONS) {
      expect(i18n.global.te(mutationKey(name), locale), `${locale} ${name}`).toBe(true)
      expect(i18n.global.t(mutationKey(name), {}, { locale })).not.toContain(name)
    }
  }
})
