import { describe, expect, it, vi } from 'vitest'

vi.stubGlobal('navigator', { languages: ['en'], language: 'en' })
const { i18n } = await import('../src/i18n')
const { conflictExplanation, conflictKind, conflictLabel, conflictValues } = await import('../src/conflicts')

// The conflict records of sync protocol 7.1, with the reasons the server writes.
const REASSIGNED = 'the job was reassigned to another engineer while this work was offline'
const CONFLICTS = {
  cancelled: { entity: 'jobs', field: 'status', policy: 'state_machine', server_value: 'cancelled', client_value: 'work_done',
    reason: 'an engineer cannot move a job from cancelled to work_done: there is no such transition' },
  status: { entity: 'jobs', field: 'status', policy: 'state_machine', server_value: 'signed', client_value: 'on_site',
    reason: 'an engineer cannot move a job from signed to on_site: there is no such transition' },
  edited_own_device: { entity: 'jobs', field: 'diagnosis', policy: 'engineer', server_value: '电压不稳', client_value: '',
    reason: 'changed meanwhile by this engineer on another device' },
  edited_other_engineer: { entity: 'jobs', field: 'cause', policy: 'engineer', server_value: 'a', client_value: 'b',
    reason: 'changed meanwhile by another engineer' },
  edited: { entity: 'part_lines', field: 'quantity', policy: 'engineer', server_value: '2.000', client_value: '3',
    reason: 'changed meanwhile' },
  signature: { entity: 'signatures', field: 'customer', policy: 'write_once', server_value: { width: 300 }, client_value: { width: 320 },
    reason: 'the job has a customer signature already; a second one needs a decision' },
  reassigned: { entity: 'jobs', field: 'assigned_engineer_id', policy: 'office', server_value: 'u2', client_value: 'u1',
    reason: `${REASSIGNED} (photo)` },
  reviewed: { entity: 'jobs', field: 'reviewed_work', policy: 'office', server_value: 'settled', client_value: 'part P-7 × 2',
    reason: 'the office had reviewed the job when this work arrived (part P-7 × 2)' },
} as const
const PHOTO = { entity: 'photos', field: 'category', policy: 'engineer', server_value: 'after', client_value: 'defect',
  reason: 'changed meanwhile by another engineer' }

describe('a conflict on the phone', () => {
  it('is told apart by its policy and field (protocol 7.1)', () => {
    for (const [kind, c] of Object.entries(CONFLICTS)) expect(conflictKind(c), kind).toBe(kind)
    // A former assignee's field edit keeps the field's policy; the reason tells it apart.
    expect(conflictKind({ entity: 'jobs', field: 'cause', policy: 'engineer', reason: REASSIGNED })).toBe('reassigned')
    expect(conflictKind({ entity: 'jobs', field: 'x', policy: 'new_policy', reason: '' })).toBe('other')
  })

  it('names its field in both languages, never by the code jobs.diagnosis', () => {
    for (const locale of ['en', 'zh-CN'] as const) {
      for (const c of Object.values(CONFLICTS)) {
        const label = conflictLabel(c, locale)
        expect(label, `${locale} ${c.entity}.${c.field}`).not.toContain(`${c.entity}.${c.field}`)
        expect(i18n.global.te(`conflict.field.${c.entity}_${c.field}`, locale)).toBe(true)
      }
    }
    expect(conflictLabel(CONFLICTS.edited_own_device, 'zh-CN')).toBe('故障诊断')
    expect(conflictLabel(CONFLICTS.edited_own_device, 'en')).toBe('Diagnosis')
    expect(conflictLabel({ entity: 'part_lines', field: 'discount' }, 'zh-CN')).toBe('备件 · discount') // a field added later
    expect(conflictLabel({ entity: 'gadgets', field: 'x' }, 'en')).toBe('gadgets.x') // nothing better to say
  })

  it('is explained in the engineer language, whatever language the server reason is in', () => {
    for (const c of Object.values(CONFLICTS)) {
      const zh = conflictExplanation(c, 'zh-CN')
      const en = conflictExplanation(c, 'en')
      expect(zh).toMatch(/[\u4e00-\u9fff]/)
      expect(zh).not.toMatch(/[a-z]{3,}/)
      expect(en).not.toBe(zh)
      expect(en).not.toContain(c.reason)
    }
    for (const kind of ['edited', 'other'] as const) {
      for (const locale of ['en', 'zh-CN'] as const) expect(i18n.global.te(`conflict.kind.${kind}`, locale)).toBe(true)
    }
    expect(i18n.global.t('conflict.server', { reason: CONFLICTS.status.reason }, { locale: 'zh-CN' })).toContain(CONFLICTS.status.reason)
  })

  it('shows the two values readably: a status by its name, no ids or strokes', () => {
    expect(conflictValues(CONFLICTS.cancelled, 'zh-CN')).toBe('已取消 ↔ 已完工')
    expect(conflictValues(CONFLICTS.edited_own_device, 'en')).toBe('电压不稳 ↔ —')
    expect(conflictValues(CONFLICTS.signature, 'en')).toBe('')
    expect(conflictValues(CONFLICTS.reassigned, 'en')).toBe('')
  })

  it('names a photo category and its field in both languages, a caption as the text it is', () => {
    expect(conflictLabel(PHOTO, 'zh-CN')).toBe('照片：类别')
    expect(conflictLabel({ entity: 'photos', field: 'caption' }, 'en')).toBe('Photo: caption')
    expect(conflictValues(PHOTO, 'zh-CN')).toBe('维修后 ↔ 故障部位')
    expect(conflictValues(PHOTO, 'en')).toBe('After ↔ Defect')
    expect(conflictValues({ entity: 'photos', field: 'caption', server_value: 'after', client_value: '' }, 'en')).toBe('after ↔ —')
  })
})
