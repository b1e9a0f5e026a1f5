import { expect, it, vi } from 'vitest'

vi.stubGlobal('navigator', { languages: ['en'], language: 'en' })
const { i18n, mutationKey, refusalText, syncErrorText, syncOutcomeKey } = await import('../src/i18n')
const { MUTATIONS } = await import('../src/mutators')

it('names every mutation of the failed list in both languages, never by its code', () => {
  for (const locale of ['en', 'zh-CN'] as const) {
    for (const name of MUTATIONS) {
      expect(i18n.global.te(mutationKey(name), locale), `${locale} ${name}`).toBe(true)
      expect(i18n.global.t(mutationKey(name), {}, { locale })).not.toContain(name)
    }
  }
})

it('says why a change was refused in the app’s words for every code the server sends', async () => {
  const { readFileSync } = await import('node:fs')
  const { join } = await import('node:path')
  const wire = readFileSync(join(__dirname, '../../sync/wire.py'), 'utf8')
  const block = /class Refusal\(StrEnum\):([\s\S]*?)\n\n\nclass /.exec(wire)![1]
  const codes = [...block.matchAll(/^ {4}[A-Z_]+ = "([a-z_]+)"$/gm)].map((m) => m[1])
  expect(codes).toEqual(['reassigned', 'not_yours', 'signed_photo', 'removed', 'job_reviewed', 'already_rated'])
  for (const locale of ['en', 'zh-CN'] as const) {
    for (const code of codes) {
      const said = refusalText({ reason: 'the server words', code }, locale)
      expect([locale, code, said === 'the server words']).toEqual([locale, code, false])
    }
  }
  expect(refusalText({ reason: 'the customer has signed the report with this photo in it', code: 'signed_photo' }, 'zh-CN'))
    .toBe('客户已签字的报告中包含此照片，现在不能再修改。')
  expect(refusalText({ reason: 'unknown photo', code: null }, 'zh-CN')).toBe('unknown photo')
  expect(refusalText({ reason: 'from a newer server', code: 'something_new' }, 'zh-CN')).toBe('from a newer server')
  expect(refusalText({ reason: 'kept by an older app' }, 'en')).toBe('kept by an older app')
})

it('words a refused sign-in with its wait in both languages', () => {
  expect(i18n.global.t('login.too_many', { seconds: 30 }, { locale: 'en' })).toBe('Too many attempts; try again in 30 s.')
  expect(i18n.global.t('login.too_many', { seconds: 30 }, { locale: 'zh-CN' })).toBe('尝试次数过多，请 30 秒后再试。')
  expect(i18n.global.t('login.wrong_login', {}, { locale: 'zh-CN' })).toBe('用户名或密码错误。')
})

it('says what stopped a sync in the app’s words when it knows the kind, else as it was said', () => {
  expect(syncErrorText('network', 'Failed to fetch', 'zh-CN')).toBe('无法连接服务器（无信号，或服务器无法访问）。')
  expect(syncErrorText('busy', '503 the database is busy; try again in a few seconds', 'zh-CN')).toBe('服务器繁忙。')
  for (const kind of ['network', 'busy', 'server_error', 'too_many', 'login']) {
    for (const locale of ['en', 'zh-CN'] as const) {
      expect([kind, locale, syncErrorText(kind, 'as said', locale) === 'as said']).toEqual([kind, locale, false])
    }
  }
  expect(syncErrorText('', '413 the body is too large', 'zh-CN')).toBe('413 the body is too large')
  expect(syncErrorText('from_a_newer_server', 'as said', 'zh-CN')).toBe('as said')
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
