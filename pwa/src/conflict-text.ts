// How a conflict record (sync protocol 7) is told in words, shared by the engineer app and the
// office console: which kind of clash it is, the field by its name, a code value by its name.
// Pure: each app passes its own texts (the phone speaks to an engineer, the console to the desk).

/** The fields of a conflict record this module reads. */
export interface ConflictFields {
  entity?: unknown
  field?: unknown
  policy?: unknown
  reason?: unknown
  server_value?: unknown
}

/** What kind of clash a conflict record is (sync protocol 7.1). */
export type ConflictKind =
  | 'reassigned' // work from a former assignee, or their field edits
  | 'reviewed' // a part, photo or receipt that arrived after the office reviewed the job
  | 'cancelled' // a status move on a job the office cancelled meanwhile
  | 'status' // an impossible status move
  | 'edited_own_device' // the same field changed meanwhile by the same engineer on another device
  | 'edited_other_engineer' // … by another engineer
  | 'edited' // … by someone the reason does not name
  | 'signature' // a second, different signature
  | 'other'

export const CONFLICT_KINDS: readonly ConflictKind[] = [
  'reassigned', 'reviewed', 'cancelled', 'status', 'edited_own_device', 'edited_other_engineer', 'edited', 'signature', 'other',
]

/** An app's messages: `t` and `te` of its vue-i18n instance, bound to the locale wanted. */
export interface Texts {
  t(key: string, named?: Record<string, unknown>): string
  te(key: string): boolean
}

/** What this module needs of an app's vue-i18n instance (its `i18n.global`). */
export interface Translator {
  t(key: string, named: Record<string, unknown>, options: { locale?: string }): string
  te(key: string, locale?: string): boolean
}

/** An app's messages in `locale`, or in the app's current language. */
export function textsIn(translator: Translator, locale?: string): Texts {
  return {
    t: (key, named = {}) => translator.t(key, named, locale ? { locale } : {}),
    te: (key) => translator.te(key, locale),
  }
}

// The server's texts (api/domain/sync/handlers.py REASSIGNED, sync/merge.py merge_field).
const REASSIGNED = 'the job was reassigned to another engineer'
const REVIEWED = 'the office had reviewed the job'
const OWN_DEVICE = 'this engineer on another device'
const OTHER_ENGINEER = 'another engineer'

const text = (v: unknown): string => (typeof v === 'string' ? v : '')

/** The kind of a conflict, from its policy and field; the reason text only refines it. */
export function conflictKind(c: ConflictFields): ConflictKind {
  const reason = text(c.reason)
  if (reason.startsWith(REASSIGNED) || (c.entity === 'jobs' && c.field === 'assigned_engineer_id')) return 'reassigned'
  if (reason.startsWith(REVIEWED) || (c.entity === 'jobs' && c.field === 'reviewed_work')) return 'reviewed'
  switch (c.policy) {
    case 'state_machine':
      return c.server_value === 'cancelled' ? 'cancelled' : 'status'
    case 'write_once':
      return 'signature'
    case 'engineer':
      if (reason.includes(OWN_DEVICE)) return 'edited_own_device'
      if (reason.includes(OTHER_ENGINEER)) return 'edited_other_engineer'
      return 'edited'
  }
  if (c.entity === 'jobs' && c.field === 'status') return 'status'
  if (c.entity === 'signatures') return 'signature'
  return 'other'
}

/** The code a conflict's field goes by ("jobs.diagnosis"): what filters and bulk decisions
 * group by, whatever language the screen is in. */
export const fieldCode = (c: ConflictFields): string => `${text(c.entity)}.${text(c.field)}`

/** The field a conflict is about, by its name ("jobs.diagnosis" → "Diagnosis"), from the keys
 * `conflict.field.<entity>_<field>`, else `conflict.entity.<entity>` and the field's code. */
export function fieldLabel(c: ConflictFields, texts: Texts): string {
  const entity = text(c.entity)
  const field = text(c.field)
  // vue-i18n reads a dot as a path: the keys join entity and field with "_".
  const fieldKey = `conflict.field.${entity}_${field}`
  if (texts.te(fieldKey)) return texts.t(fieldKey)
  const entityKey = `conflict.entity.${entity}`
  if (texts.te(entityKey)) return `${texts.t(entityKey)} · ${field}`
  return fieldCode(c)
}

/** What happened, from the key `conflict.kind.<kind>` (each app words it for its reader). */
export const kindExplanation = (c: ConflictFields, texts: Texts): string => texts.t(`conflict.kind.${conflictKind(c)}`)

/** Where an app keeps the names of the codes it does not share: the message key of a part's
 * billing and of a photo's category. */
export interface CodeKeys {
  billing(code: string): string
  category(code: string): string
}

/** A code value by its name: a job's status from `status.<code>`, a part's billing and a
 * photo's category from the app's own keys; null for any other value, or a code with no name. */
export function codeName(c: ConflictFields, value: unknown, texts: Texts, keys: CodeKeys): string | null {
  if (typeof value !== 'string') return null
  let key: string | null = null
  if (c.entity === 'jobs' && c.field === 'status') key = `status.${value}`
  else if (c.entity === 'part_lines' && c.field === 'billing') key = keys.billing(value)
  else if (c.entity === 'photos' && c.field === 'category') key = keys.category(value)
  return key !== null && texts.te(key) ? texts.t(key) : null
}

/** The names of the fields and records a conflict can be about, the same in both apps (the
 * `conflict.field` and `conflict.entity` messages of each). */
type Names = { field: Record<string, string>; entity: Record<string, string> }

export const CONFLICT_NAMES: Record<'en' | 'zh-CN', Names> = {
  en: {
    field: {
      jobs_status: 'Job status', jobs_diagnosis: 'Diagnosis', jobs_cause: 'Cause', jobs_work_done: 'Work done',
      jobs_advice: 'Advice to the customer', jobs_assigned_engineer_id: 'Assigned engineer', jobs_reviewed_work: 'Work after the review',
      part_lines_quantity: 'Part: quantity', part_lines_billing: 'Part: billing', part_lines_note: 'Part: note',
      part_lines_unit_price: 'Part: unit price', photos_category: 'Photo: category', photos_caption: 'Photo: caption',
      signatures_customer: 'Customer signature',
      signatures_engineer: 'Engineer signature',
    },
    entity: {
      jobs: 'Job', part_lines: 'Part', photos: 'Photo', notes: 'Note', trip_events: 'Trip log',
      signatures: 'Signature', satisfaction: 'Rating', repair_receipts: 'Repair receipt',
    },
  },
  'zh-CN': {
    field: {
      jobs_status: '工单状态', jobs_diagnosis: '故障诊断', jobs_cause: '原因分析', jobs_work_done: '处理结果',
      jobs_advice: '注意事项', jobs_assigned_engineer_id: '派工工程师', jobs_reviewed_work: '审核后送达的工作',
      part_lines_quantity: '备件：数量', part_lines_billing: '备件：计费', part_lines_note: '备件：备注',
      part_lines_unit_price: '备件：单价', photos_category: '照片：类别', photos_caption: '照片：说明',
      signatures_customer: '客户签字',
      signatures_engineer: '工程师签字',
    },
    entity: {
      jobs: '工单', part_lines: '备件', photos: '照片', notes: '备注', trip_events: '外出工地登记',
      signatures: '签字', satisfaction: '评价', repair_receipts: '返修收据',
    },
  },
}
