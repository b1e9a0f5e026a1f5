import { describe, expect, it, vi } from 'vitest'

vi.stubGlobal('localStorage', { getItem: () => null, setItem: () => undefined })
vi.stubGlobal('navigator', { languages: ['en'] })
const { i18n } = await import('../src/office/i18n')
const { CONFLICT_KINDS } = await import('../src/conflict-text')
const engineer = await import('../src/conflicts')
const { conflictExplanation, conflictKind, conflictLabel, conflictValue, fieldCode, userName } = await import(
  '../src/office/conflict-labels'
)

// Conflict records as GET /api/conflicts sends them (api/domain/sync/handlers.py), with the
// server's reasons and values: ids for the assignment, the signature as an object.
const ENGINEER_ID = '0192a0c1-0000-7000-8000-000000000001'
const FORMER_ID = '0192a0c1-0000-7000-8000-000000000002'
const REASSIGNED = 'the job was reassigned to another engineer while this work was offline'
const CONFLICTS = {
  cancelled: { entity: 'jobs', field: 'status', policy: 'state_machine', base_value: 'on_site', server_value: 'cancelled',
    client_value: 'work_done', reason: 'an engineer cannot move a job from cancelled to work_done: there is no such transition' },
  status: { entity: 'jobs', field: 'status', policy: 'state_machine', base_value: 'on_site', server_value: 'signed',
    client_value: 'on_site', reason: 'an engineer cannot move a job from signed to on_site: there is no such transition' },
  edited_own_device: { entity: 'jobs', field: 'diagnosis', policy: 'engineer', base_value: '', server_value: 'A: 轴承磨损',
    client_value: 'B: 叶轮松动', reason: 'changed meanwhile by this engineer on another device' },
  edited_other_engineer: { entity: 'part_lines', field: 'billing', policy: 'engineer', base_value: 'warranty',
    server_value: 'chargeable', client_value: 'warranty', reason: 'changed meanwhile by another engineer' },
  edited: { entity: 'part_lines', field: 'quantity', policy: 'engineer', base_value: '1.000', server_value: '2.000',
    client_value: '3', reason: 'changed meanwhile' },
  signature: { entity: 'signatures', field: 'customer', policy: 'write_once', base_value: null,
    server_value: { id: 's1', signer_name: '李雷', content_sha256: 'ab' },
    client_value: { id: 's2', signer_name: '韩梅梅', strokes: [[{ x: 1, y: 2, t: 0 }]], content_sha256: 'cd' },
    reason: 'the job has a customer signature already; a second one needs a decision' },
  reassigned: { entity: 'jobs', field: 'assigned_engineer_id', policy: 'office', base_value: FORMER_ID,
    server_value: ENGINEER_ID, client_value: FORMER_ID, reason: `${REASSIGNED} (customer signature)` },
}
const USERS = { [ENGINEER_ID]: '张伟', [FORMER_ID]: '刘洋' }
const LOCALES = ['en', 'zh-CN'] as const

describe('a conflict on the reconciliation screen', () => {
  it('is sorted into the kinds the engineer app uses, by the one shared rule', () => {
    for (const [kind, c] of Object.entries(CONFLICTS)) {
      expect(conflictKind(c), kind).toBe(kind)
      expect(engineer.conflictKind(c), kind).toBe(kind)
    }
    // A former assignee's status move is about the reassignment, not the state machine.
    expect(conflictKind({ ...CONFLICTS.status, reason: REASSIGNED })).toBe('reassigned')
  })

  it('names its field in both languages, in the console words, never by its code', () => {
    const fields = [
      ...['status', 'diagnosis', 'cause', 'work_done', 'advice', 'assigned_engineer_id'].map((f) => ({ entity: 'jobs', field: f })),
      ...['quantity', 'billing', 'note', 'unit_price'].map((f) => ({ entity: 'part_lines', field: f })),
      ...['category', 'caption'].map((f) => ({ entity: 'photos', field: f })),
      ...['customer', 'engineer'].map((f) => ({ entity: 'signatures', field: f })),
    ]
    for (const locale of LOCALES) {
      for (const c of fields) {
        expect(i18n.global.te(`conflict.field.${c.entity}_${c.field}`, locale), `${locale} ${fieldCode(c)}`).toBe(true)
        expect(conflictLabel(c, locale)).not.toContain(fieldCode(c))
        expect(conflictLabel(c, locale)).not.toContain('·') // its own name, not the entity's and the code
      }
    }
    expect(conflictLabel(CONFLICTS.edited_own_device, 'zh-CN')).toBe('故障诊断')
    expect(conflictLabel(CONFLICTS.edited_own_device, 'en')).toBe('Diagnosis')
    expect(conflictLabel(CONFLICTS.edited, 'zh-CN')).toBe('备件：数量') // 备件, the regulations' word, as on the phone
    expect(conflictLabel({ entity: 'part_lines', field: 'discount' }, 'en')).toBe('Part · discount') // a field added later
    expect(conflictLabel({ entity: 'gadgets', field: 'x' }, 'zh-CN')).toBe('gadgets.x') // nothing better to say
    expect(fieldCode(CONFLICTS.edited)).toBe('part_lines.quantity') // what bulk decisions group by
  })

  it('explains each kind to the desk in both languages, the server reason apart', () => {
    for (const locale of LOCALES) {
      for (const kind of CONFLICT_KINDS) expect(i18n.global.te(`conflict.kind.${kind}`, locale), `${locale} ${kind}`).toBe(true)
    }
    for (const c of Object.values(CONFLICTS)) {
      const zh = conflictExplanation(c, 'zh-CN')
      const en = conflictExplanation(c, 'en')
      expect(zh).toMatch(/[\u4e00-\u9fff]/)
      expect(zh).not.toMatch(/[a-z]{3,}/)
      expect(en).not.toBe(zh)
      expect(en).not.toContain(c.reason)
      // Told to the office about the engineer, not to the engineer ("you changed this…").
      expect(en).not.toBe(engineer.conflictExplanation(c, 'en'))
      expect(zh).not.toContain('您')
    }
    expect(conflictExplanation(CONFLICTS.edited_other_engineer, 'en')).toBe(
      'Two engineers changed this at once. Choose the version that stays, or enter a merged one.',
    )
    const reason = CONFLICTS.status.reason
    for (const locale of LOCALES) expect(i18n.global.t('conflict.server', { reason }, { locale })).toContain(reason)
  })

  it('shows a status and a billing by their names', () => {
    const c = CONFLICTS.cancelled
    expect([c.base_value, c.server_value, c.client_value].map((v) => conflictValue(c, v, USERS, 'zh-CN'))).toEqual([
      '在现场', '已取消', '已完工',
    ])
    expect(conflictValue(c, 'work_done', USERS, 'en')).toBe('Work done')
    expect(conflictValue(c, 'teleported', USERS, 'en')).toBe('teleported') // a status this console does not know
    const b = CONFLICTS.edited_other_engineer
    expect([conflictValue(b, b.server_value, USERS, 'en'), conflictValue(b, b.client_value, USERS, 'zh-CN')]).toEqual([
      'Chargeable', '保修',
    ])
  })

  it('shows a photo category by its name', () => {
    const c = { entity: 'photos', field: 'category', policy: 'engineer', base_value: 'before', server_value: 'after',
      client_value: 'defect', reason: 'changed meanwhile' }
    expect([c.base_value, c.server_value, c.client_value].map((v) => conflictValue(c, v, USERS, 'zh-CN'))).toEqual([
      '维修前', '维修后', '故障部位',
    ])
    expect(conflictValue(c, 'nameplate', USERS, 'en')).toBe('Nameplate')
    expect(conflictValue({ ...c, field: 'caption' }, 'before', USERS, 'en')).toBe('before') // a caption is text
  })

  it('names the engineers of a reassignment rather than their ids', () => {
    const c = CONFLICTS.reassigned
    expect(conflictValue(c, c.server_value, USERS, 'en')).toBe('张伟')
    expect(conflictValue(c, c.client_value, USERS, 'en')).toBe('刘洋')
    expect(conflictValue(c, c.server_value, {}, 'en')).toBe(ENGINEER_ID.slice(0, 8)) // names not loaded (yet)
    expect(userName(FORMER_ID, USERS)).toBe('刘洋')
    expect(userName(null, USERS)).toBe('—')
  })

  it('shows a signature as whose it is, never its strokes or [object Object]', () => {
    const c = CONFLICTS.signature
    expect(conflictValue(c, c.server_value, USERS, 'en')).toBe('Signature of 李雷')
    expect(conflictValue(c, c.client_value, USERS, 'zh-CN')).toBe('韩梅梅 的签字')
    expect(conflictValue(c, { id: 's3' }, USERS, 'en')).toBe('A signature')
    expect(conflictValue(c, c.base_value, USERS, 'en')).toBe('—')
  })

  it('shows text as it is, an emptied field as empty, anything else as JSON', () => {
    const c = CONFLICTS.edited_own_device
    expect(conflictValue(c, c.server_value, USERS, 'zh-CN')).toBe('A: 轴承磨损')
    expect(conflictValue(c, '', USERS, 'en')).toBe('(empty)')
    expect(conflictValue(c, '', USERS, 'zh-CN')).toBe('(空)')
    expect(conflictValue(CONFLICTS.edited, 3, USERS, 'en')).toBe('3')
    expect(conflictValue({ entity: 'gadgets', field: 'x' }, { a: 1 }, USERS, 'en')).toBe('{"a":1}')
  })
})
