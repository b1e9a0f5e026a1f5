import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it, vi } from 'vitest'

vi.stubGlobal('localStorage', { getItem: () => null, setItem: () => undefined })
vi.stubGlobal('navigator', { languages: ['zh-CN'] })
const { messages } = await import('../src/office/i18n')
const { languageKey } = await import('../src/office/format')

// Codes the server sends that the console shows (api/models.py, api/domain/sync/conflicts.py).
const SHOWN_CODES = [
  ...['before', 'during', 'after', 'defect', 'nameplate'].map((c) => `review.category_${c}`),
  ...['customer', 'engineer'].map((r) => `review.signer_${r}`),
  ...['server', 'client', 'value'].map((c) => `conflicts.choice_${c}`),
  'review.revision',
  'common.code',
  ...['zh-CN', 'en'].map(languageKey),
]

function lookup(tree: unknown, path: string): unknown {
  return path.split('.').reduce<unknown>((node, k) => (node as Record<string, unknown> | undefined)?.[k], tree)
}

describe('console texts', () => {
  it('names every code it shows in both languages, not as the raw code', () => {
    for (const locale of ['en', 'zh-CN'] as const) {
      const missing = SHOWN_CODES.filter((key) => typeof lookup(messages[locale], key) !== 'string')
      expect([locale, missing]).toEqual([locale, []])
    }
  })

  it('has words for every error code the server sends, in both languages, and for no other', () => {
    const source = readFileSync(join(__dirname, '../../api/error_codes.py'), 'utf8')
    const codes = [...source.matchAll(/^ {4}[A-Z_]+ = "([a-z_]+)"$/gm)].map((m) => m[1]).sort()
    expect(codes.length).toBeGreaterThan(10)
    for (const locale of ['en', 'zh-CN'] as const) {
      const named = Object.entries(messages[locale].errors).filter(([, v]) => typeof v === 'string').map(([k]) => k)
      expect([locale, named.filter((k) => k !== 'fieldsJoin').sort()]).toEqual([locale, codes])
    }
  })

  it('has no column header written in one language only', () => {
    const dir = join(__dirname, '../src/office/views')
    const fixed = readdirSync(dir).flatMap((file) =>
      [...readFileSync(join(dir, file), 'utf8').matchAll(/<el-table-column[^>]*\slabel="([^"]*)"/g)].map((m) => `${file}: ${m[1]}`),
    )
    expect(fixed).toEqual([])
  })
})

describe('urgency', () => {
  it('is named as on the engineer app, so one word means one level in both', async () => {
    vi.stubGlobal('localStorage', { getItem: () => null, setItem: () => undefined })
    const { i18n: app } = await import('../src/i18n')
    for (const locale of ['en', 'zh-CN'] as const) {
      for (const level of ['low', 'normal', 'high', 'critical']) {
        const console = lookup(messages[locale], `urgency.${level}`)
        expect([locale, level, console]).toEqual([locale, level, app.global.t(`urgency.${level}`, {}, { locale })])
      }
    }
  })
})

describe('parts', () => {
  it('are 备件 in both apps, the word of the company regulations, never 配件', async () => {
    const { i18n: app } = await import('../src/i18n')
    const texts = (tree: unknown): string[] =>
      typeof tree === 'string' ? [tree] : Object.values(tree as Record<string, unknown>).flatMap(texts)
    for (const [name, zh] of [['console', messages['zh-CN']], ['app', app.global.getLocaleMessage('zh-CN')]] as const) {
      expect([name, texts(zh).filter((s) => s.includes('配件'))]).toEqual([name, []])
    }
    expect(lookup(messages['zh-CN'], 'review.parts')).toBe('备件')
    expect(lookup(messages['zh-CN'], 'status.waiting_parts')).toBe(app.global.t('status.waiting_parts', {}, { locale: 'zh-CN' }))
  })
})

describe('reconciliation', () => {
  it('says how many conflicts are selected in words, not "0 ✓"', async () => {
    const { i18n } = await import('../src/office/i18n')
    expect(i18n.global.t('conflicts.selected', { n: 0 }, { locale: 'en' })).toBe('0 selected')
    expect(i18n.global.t('conflicts.selected', { n: 3 }, { locale: 'zh-CN' })).toBe('已选 3 项')
    const view = readFileSync(join(__dirname, '../src/office/views/Conflicts.vue'), 'utf8')
    expect(view).not.toContain('✓')
  })
})
