import { expect, it, vi } from 'vitest'

vi.stubGlobal('navigator', { languages: ['en'], language: 'en' })
const { i18n, mutationKey, syncOutcomeKey } = await import('../src/i18n')
const { MUTATIONS } = await import('../src/mutators')

it('names every mutation of the failed list in both languages, never by its code', () => {
  for (const locale of ['en', 'zh-CN'] as const) {
    for (const name of MUTATIONS) {
      expect(i18n.global.te(mutationKey(name), locale), `${locale} ${name}`).toBe(true)
      expect(i18n.global.t(mutationKey(name), {}, { locale })).not.toContain(name)
    }
  }
})

it('tells the engineer what a tap on "sync now" came to, in both languages', () => {
  const t = (key: string, locale: 'en' | 'zh-CN', error = '') => i18n.global.t(key, { error }, { locale })
  expect(t(syncOutcomeKey('offline')!, 'en')).toBe('You are offline; changes are kept on this phone and will sync when there is signal.')
  expect(t(syncOutcomeKey('offline')!, 'zh-CN')).toMatch(/离线.*保存在本机/)
  expect(t(syncOutcomeKey('failed')!, 'zh-CN', 'Failed to fetch')).toMatch(/同步未完成.*Failed to fetch/)
  expect(t(syncOutcomeKey('synced')!, 'zh-CN')).toBe('已同步')
  expect(syncOutcomeKey('signed-out')).toBeNull() // the screen is left for the login: nothing to say
})

it('labels the signers’ name fields short enough not to wrap in the label column at 390 px', () => {
  // Vant's field label column is 6.2em wide: "Engineer's name" broke over two lines.
  for (const key of ['review.customerName', 'review.engineerName']) {
    for (const locale of ['en', 'zh-CN'] as const) {
      const text = i18n.global.t(key, {}, { locale })
      const width = [...text].reduce((em, c) => em + (c.charCodeAt(0) > 0x2e80 ? 1 : 0.6), 0)
      expect([key, locale, text, width <= 6]).toEqual([key, locale, text, true])
    }
  }
  expect(i18n.global.t('review.engineerName', {}, { locale: 'en' })).toBe('Engineer')
})
