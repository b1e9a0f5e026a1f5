import { beforeEach, expect, it, vi } from 'vitest'

vi.stubGlobal('navigator', { languages: ['en'], language: 'en' })
const dialog = vi.fn()
vi.mock('vant', () => ({ showConfirmDialog: dialog }))
const { confirmed } = await import('../src/confirm')
const { i18n } = await import('../src/i18n')

beforeEach(() => dialog.mockReset())

it('says yes only when the engineer taps the confirm button', async () => {
  dialog.mockResolvedValueOnce('confirm')
  expect(await confirmed('Remove P-1 Fuse from this job?', 'Remove')).toBe(true)
  dialog.mockRejectedValueOnce('cancel')
  expect(await confirmed('Remove P-1 Fuse from this job?', 'Remove')).toBe(false)
})

it('labels both buttons in the app language, not in Vant’s default Chinese', async () => {
  dialog.mockResolvedValue('confirm')
  await confirmed('Remove P-1 Fuse from this job?', 'Remove')
  expect(dialog).toHaveBeenLastCalledWith(
    expect.objectContaining({ message: 'Remove P-1 Fuse from this job?', confirmButtonText: 'Remove', cancelButtonText: 'Cancel' }),
  )
  // Vant's aria-labelledby names no element: the dialog is named by its question instead.
  expect(dialog.mock.lastCall?.[0]).toHaveProperty('aria-label', 'Remove P-1 Fuse from this job?')
  i18n.global.locale.value = 'zh-CN'
  await confirmed('从本单移除 P-1 保险丝？', i18n.global.t('parts.remove'))
  expect(dialog).toHaveBeenLastCalledWith(expect.objectContaining({ confirmButtonText: '移除', cancelButtonText: '取消' }))
})

it('words the question before removing a part line in both languages, naming the line by quantity and billing', () => {
  const t = (locale: 'en' | 'zh-CN', unit: string) => i18n.global.t('parts.removeConfirm', {
    part: 'P-1 X', quantity: 2, unit, billing: i18n.global.t('parts.warranty', {}, { locale }),
  }, { locale })
  expect(t('en', 'pc')).toBe('Remove P-1 X (2 pc, Warranty) from this job?')
  expect(t('zh-CN', '个')).toBe('从本单移除 P-1 X（2 个，保修）？')
})

it('says in both languages when a part line takes the van below zero', () => {
  const t = (locale: 'en' | 'zh-CN', unit: string) =>
    i18n.global.t('parts.vanShort', { part: 'P-10677 X', had: 0, quantity: 1, unit }, { locale })
  expect(t('zh-CN', '个')).toBe('车存不足：P-10677 X 车上现有 0 个，已记录 1 个；请告知办公室')
  expect(t('en', 'pc')).toBe('Van stock short: P-10677 X: the van had 0 pc, 1 pc recorded. Please tell the office.')
})

it('words the question before removing a photo in both languages, by its category', () => {
  const t = (key: string, locale: 'en' | 'zh-CN', caption = '') =>
    i18n.global.t(key, { category: i18n.global.t('photos.defect', {}, { locale }), caption }, { locale })
  expect(t('photos.removeConfirm', 'en')).toBe('Remove the “Defect” photo from this job?')
  expect(t('photos.removeConfirm', 'zh-CN')).toBe('从本单移除这张“故障部位”照片？')
  expect(t('photos.removeConfirmCaption', 'zh-CN', '端子烧蚀')).toBe('从本单移除这张“故障部位”照片（端子烧蚀）？')
  expect(t('photos.removeConfirmCaption', 'en', 'burnt terminal')).toBe('Remove the “Defect” photo “burnt terminal” from this job?')
})

it('colours the confirm button of a destructive act as a danger, and only that one', async () => {
  dialog.mockResolvedValue('confirm')
  await confirmed('Remove the “Defect” photo from this job?', 'Remove', true)
  expect(dialog).toHaveBeenLastCalledWith(expect.objectContaining({ confirmButtonColor: 'var(--van-danger-color)' }))
  await confirmed('Sign out anyway?', 'Sign out')
  expect(dialog.mock.lastCall?.[0]).not.toHaveProperty('confirmButtonColor')
})
