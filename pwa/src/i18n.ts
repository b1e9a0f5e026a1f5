// zh-CN when the browser prefers Chinese, else English; switchable and remembered.
import { createI18n } from 'vue-i18n'
import { CONFLICT_NAMES } from './conflict-text'
import type { SyncOutcome } from './store'

const en = {
  app: { title: 'Fieldsync', language: 'Language' },
  login: {
    title: 'Sign in', username: 'Username', password: 'Password', submit: 'Sign in',
    again: 'Your session ended. Sign in again; your unsent work is kept.', failed: 'Sign-in failed',
    offline: 'You are offline: signing in needs a connection.',
    usernameNeeded: 'Please enter your username', passwordNeeded: 'Please enter your password',
    wrong_login: 'Wrong username or password.', too_many: 'Too many attempts; try again in {seconds} s.',
  },
  nav: { today: 'Today', jobs: 'Jobs', sync: 'Sync' },
  jobs: { today: "Today's jobs", all: 'All jobs', empty: 'No jobs', search: 'Search number, customer, fault' },
  sla: { ok: 'On time', at_risk: 'At risk', overdue: 'Overdue', met: 'Done', late: 'Done late', cancelled: 'Cancelled', none: '—', due: 'Due {time}' },
  status: {
    reported: 'Reported', accepted: 'Accepted', assigned: 'Assigned', en_route: 'On the way', on_site: 'On site',
    waiting_parts: 'Waiting for parts', work_done: 'Work done', signed: 'Signed', reviewed: 'Reviewed',
    settled: 'Settled', followed_up: 'Followed up', closed: 'Closed', cancelled: 'Cancelled', reopened: 'Reopened',
  },
  urgency: { low: 'Low', normal: 'Normal', high: 'High', critical: 'Critical' },
  job: {
    customer: 'Customer', site: 'Site', asset: 'Equipment', contact: 'Contact', fault: 'Fault',
    plan: 'Handling plan', officeNotes: 'Office notes',
    signedChange: 'The customer has signed. A change here no longer matches what they signed: the report can then only be issued as a correction by the office.',
    sentBack: 'Sent back by the supervisor: {note}',
    cancelled: 'Cancelled by the office ({reason}). No visit is needed; it leaves this phone 3 days after the cancellation.', visits: 'Earlier visits', noVisits: 'No earlier visits',
    warranty: 'Warranty until {date}', outOfWarranty: 'Out of warranty (ended {date})', noWarranty: 'Warranty unknown',
    accept: 'Accept', depart: 'Depart', arrive: 'Arrive', waitParts: 'Waiting for parts', workDone: 'Work done',
    leave: 'Leave site', accepted: 'Accepted', trip: 'Trip log', record: 'Service record', parts: 'Parts',
    photos: 'Photos', receipts: 'Repair receipts', review: 'Customer review & signature', conflicts: 'Conflicts',
    pending: '{n} unsent', notes: 'Notes', addNote: 'Add a note for the office',
    noTrips: 'Nothing logged yet', call: 'Call {phone}',
    workDoneEmpty: 'The record has no {fields} yet. Mark the work done anyway?',
    leftLogged: 'Leaving the site is logged',
  },
  trip: { departed: 'Departed', arrived: 'Arrived', left: 'Left site' },
  record: {
    diagnosis: 'Diagnosis', cause: 'Cause', work_done: 'Work done', advice: 'Advice to the customer',
    saved: 'Saved on the device', saving: 'Saving…',
  },
  parts: {
    title: 'Parts', search: 'Search the catalogue', add: 'Add', van: 'Van: {n}', used: 'Used on this job',
    quantity: 'Quantity', billing: 'Billing', warranty: 'Warranty', chargeable: 'Chargeable', remove: 'Remove',
    none: 'No parts yet', removed: 'removed', removeConfirm: 'Remove {part} ({quantity} {unit}, {billing}) from this job?',
    added: 'Added {part}', noMatch: 'No part in the catalogue matches “{q}”',
    already: '{part} is already on this job: {quantity} {unit}, {billing}. Add one more to that line, or record a separate line?',
    addOne: 'Add 1 to it', newLine: 'Separate line', addedOne: '{part}: now {quantity}',
    vanEmpty: 'Nothing in your van: search the catalogue by code or name',
    vanShort: 'Van stock short: {part}: the van had {had} {unit}, {quantity} {unit} recorded. Please tell the office.',
  },
  photos: {
    title: 'Photos', take: 'Take a photo', category: 'Category', caption: 'Caption', save: 'Save photo',
    none: 'No photos yet', uploading: 'bytes waiting to upload', shrinking: 'Preparing photo…',
    before: 'Before', during: 'During', after: 'After', defect: 'Defect', nameplate: 'Nameplate',
    edit: 'Edit', remove: 'Remove', editTitle: 'Edit photo',
    editOne: 'Edit the {category} photo', removeOne: 'Remove the {category} photo',
    removeConfirm: 'Remove the “{category}” photo from this job?',
    removeConfirmCaption: 'Remove the “{category}” photo “{caption}” from this job?',
    signedLocked: 'The customer has signed; photos can no longer be changed',
    unreadable: 'This picture cannot be read; please choose a JPEG or PNG photo',
  },
  receipts: {
    title: 'Return for repair', item: 'Item', itemNeeded: 'Please fill in the item', serial: 'Serial', fault: 'Fault', accessories: 'Accessories',
    promised: 'Promised back by', add: 'Add receipt', none: 'No receipts', number: 'No. {n}', unnumbered: 'number pending',
    taken: 'Taken from site', in_workshop: 'In the workshop', returned: 'Returned to the customer {at}', promisedBy: 'promised by {at}',
    void: 'Withdrawn by the office (written by mistake)',
  },
  review: {
    title: 'Customer review', intro: 'Please check the work below, then sign.', hash: 'Content hash',
    unsyncedConflict: 'The office changed this job while you worked, and this phone has not yet received their version. Sync before the customer signs, or the signature may be refused and need doing again.',
    customerName: 'Customer', engineerName: 'Engineer', customerSign: 'Customer signature',
    engineerSign: 'Engineer signature', clear: 'Clear', confirm: 'Confirm signature', signed: 'Signed by {name}',
    rating: 'How satisfied are you?', remarks: 'Remarks', rate: 'Submit rating', rated: 'Rated {n} / 5',
    workDoneFirst: 'Tap "Work done" on the job before the customer signs: a signature taken earlier does not complete the job.',
    tooShort: 'The signature is too short; please sign again', done: 'Thank you!', pdf: 'Open the signed report',
    signedOther: 'Signed over an earlier version of this record: the job changed after signing (perhaps the office edited it while you were offline). The report is then issued only as the office’s correction: tell the office.',
    pdfOffline: 'The report opens when the phone is online.', pdfFailed: 'The report could not be opened ({status}); try again later.',
    partTranslation: 'In English (for reference, not part of what you sign): {name}',
  },
  sync: {
    title: 'Sync', now: 'Sync now', pending: 'Unsent changes', last: 'Last sync', never: 'never',
    failed: 'Not synced (refused)', noFailed: 'Nothing refused', conflicts: 'Conflicts with the office',
    noConflicts: 'No open conflicts', offline: 'Offline', online: 'Online', syncing: 'Syncing…',
    clock: "The phone's clock is off by more than 5 minutes; please correct it.", uploads: 'Photos waiting to upload',
    error: 'Last error', logout: 'Sign out', logoutBlocked: 'Changes or photos are still unsent; sign out anyway?',
    logoutOffline: 'You are offline. Signing in again needs a connection: until there is signal, you cannot open your jobs on this phone. Sign out anyway?',
    device: 'Device',
    offlineKept: 'You are offline; changes are kept on this phone and will sync when there is signal.',
    failedKept: 'Sync did not finish; changes are kept on this phone and will be sent again. {error}',
    done: 'Synced',
    detached: 'Photos not attached',
    detachedWhy: 'Their record was refused (see below): the photos stay on this phone but will not be uploaded, and do not hold up signing out.',
    refusedPhoto: 'Photo refused by the server', sendAgain: 'Send again',
    refusedWhy: 'The server cannot take this photo: take it again (and, before the customer signs, remove this one). It stays on this phone and does not hold up signing out',
  },
  // What stopped a sync, by its kind (errorKind in sync.ts).
  syncError: {
    network: 'No connection to the server (no signal, or the server cannot be reached).',
    busy: 'The server is busy.',
    server_error: 'The server had a problem.',
    too_many: 'Too many attempts; the app tries again a little later.',
    login: 'The session ended: sign in again.',
  },
  // Why the server refused a change, by the refusal's code (sync protocol 4.2).
  refused: {
    reassigned: 'The job was reassigned to another engineer while you were offline.',
    not_yours: 'This job is not assigned to you (or no longer).',
    signed_photo: 'The customer has signed the report with this photo in it, so it cannot change now.',
    removed: 'The part line or photo had been removed already.',
    job_reviewed: 'The office has already reviewed this job: its record, parts and photos can no longer be changed from the phone. Call the office; what you entered is kept for them.',
    already_rated: 'The customer has already rated this visit.',
  },
  mutation: {
    job_accept: 'Accept', job_status: 'Status', job_record: 'Service record', trip_log: 'Trip log',
    part_line_add: 'Part added', part_line_change: 'Part changed', part_line_remove: 'Part removed',
    photo_add: 'Photo', photo_change: 'Photo changed', photo_remove: 'Photo removed', note_add: 'Note', signature_add: 'Signature', satisfaction_add: 'Rating',
    receipt_add: 'Repair receipt',
  },
  conflict: {
    ...CONFLICT_NAMES.en,
    kind: {
      reassigned: 'The job was given to another engineer while you worked offline. Your work is kept; the office decides what becomes of it.',
      reviewed: 'The office had already reviewed this job when this arrived. It is kept, and the office has been told.',
      status: "The job's status had changed meanwhile and could not take your change. Your work is kept; the office decides the status.",
      cancelled: 'The office cancelled this job while you worked offline, so your status change was not made. Your work is kept; the office decides whether the job goes on.',
      edited_own_device: 'You changed this on another phone meanwhile. Both versions are kept; the office decides which stays.',
      edited_other_engineer: 'Another engineer changed this meanwhile. Both versions are kept; the office decides which stays.',
      edited: 'This was changed elsewhere meanwhile. Both versions are kept; the office decides which stays.',
      signature: 'The job already has this signature. The second one is kept; the office decides which stays.',
      other: 'The office has to decide this change. Nothing you entered is lost.',
    },
    server: 'Server: {reason}',
  },
  common: { save: 'Save', cancel: 'Cancel', back: 'Back', yes: 'Yes', no: 'No' },
}

type Messages = typeof en

const zh: Messages = {
  app: { title: 'Fieldsync 售后', language: '语言' },
  login: {
    title: '登录', username: '用户名', password: '密码', submit: '登录',
    again: '登录已失效，请重新登录；未同步的工作会保留。', failed: '登录失败',
    offline: '当前离线：登录需要网络连接。',
    usernameNeeded: '请输入用户名', passwordNeeded: '请输入密码',
    wrong_login: '用户名或密码错误。', too_many: '尝试次数过多，请 {seconds} 秒后再试。',
  },
  nav: { today: '今日', jobs: '工单', sync: '同步' },
  jobs: { today: '今日工单', all: '全部工单', empty: '暂无工单', search: '搜索单号、客户、故障' },
  sla: { ok: '正常', at_risk: '即将超时', overdue: '已超时', met: '已完成', late: '超时完成', cancelled: '已取消', none: '—', due: '截止 {time}' },
  status: {
    reported: '已报修', accepted: '已受理', assigned: '已派工', en_route: '在途', on_site: '已到场',
    waiting_parts: '待料', work_done: '已完工', signed: '已签字', reviewed: '已审核',
    settled: '已结算', followed_up: '已回访', closed: '已关闭', cancelled: '已取消', reopened: '已重开',
  },
  urgency: { low: '低', normal: '一般', high: '紧急', critical: '特急' },
  job: {
    customer: '客户', site: '现场', asset: '设备', contact: '联系人', fault: '故障描述',
    plan: '处理方案', officeNotes: '客服备注',
    signedChange: '客户已签字。此处修改将与客户签字的内容不符，报告只能由办公室出具更正版。',
    sentBack: '主管退回：{note}',
    cancelled: '办公室已取消此工单（{reason}），无需上门；取消 3 天后将从本机移除。', visits: '历史维修', noVisits: '无历史维修',
    warranty: '保修至 {date}', outOfWarranty: '已过保（{date} 到期）', noWarranty: '保修期未知',
    accept: '接单', depart: '出发', arrive: '到达', waitParts: '待料', workDone: '完工',
    leave: '离场', accepted: '已接单', trip: '外出工地登记', record: '服务记录', parts: '备件',
    photos: '照片', receipts: '返修收据', review: '客户确认签字', conflicts: '冲突',
    pending: '{n} 条未同步', notes: '备注', addNote: '给客服留言',
    noTrips: '尚无登记', call: '拨打 {phone}',
    workDoneEmpty: '服务记录尚未填写{fields}。仍要标记完工吗？',
    leftLogged: '已登记离场',
  },
  trip: { departed: '出发', arrived: '到达', left: '离场' },
  record: {
    diagnosis: '故障诊断', cause: '原因分析', work_done: '处理结果', advice: '注意事项',
    saved: '已保存在本机', saving: '保存中…',
  },
  parts: {
    title: '备件', search: '搜索备件目录', add: '添加', van: '车存 {n}', used: '本单用料',
    quantity: '数量', billing: '计费', warranty: '保修', chargeable: '收费', remove: '移除',
    none: '暂无用料', removed: '已移除', removeConfirm: '从本单移除 {part}（{quantity} {unit}，{billing}）？',
    added: '已添加 {part}', noMatch: '备件目录中没有与“{q}”匹配的备件',
    already: '本单已有 {part}：{quantity} {unit}（{billing}）。在该行数量上加 1，还是另记一行？',
    addOne: '数量加 1', newLine: '另记一行', addedOne: '{part}：数量已为 {quantity}',
    vanEmpty: '车载库存为空：请按编码或名称搜索备件目录',
    vanShort: '车存不足：{part} 车上现有 {had} {unit}，已记录 {quantity} {unit}；请告知办公室',
  },
  photos: {
    title: '照片', take: '拍照', category: '类别', caption: '说明', save: '保存照片',
    none: '暂无照片', uploading: '待上传', shrinking: '正在处理照片…',
    before: '维修前', during: '维修中', after: '维修后', defect: '故障部位', nameplate: '铭牌',
    edit: '编辑', remove: '移除', editTitle: '编辑照片',
    editOne: '编辑“{category}”照片', removeOne: '移除“{category}”照片',
    removeConfirm: '从本单移除这张“{category}”照片？',
    removeConfirmCaption: '从本单移除这张“{category}”照片（{caption}）？',
    signedLocked: '客户已签字，照片不能再修改',
    unreadable: '无法读取此图片，请换一张 JPEG 或 PNG 照片',
  },
  receipts: {
    title: '客户产品返修', item: '物品', itemNeeded: '请填写物品', serial: '序列号', fault: '故障', accessories: '附件',
    promised: '承诺返还', add: '添加收据', none: '暂无收据', number: '编号 {n}', unnumbered: '编号待生成',
    taken: '已从现场取回', in_workshop: '在维修车间', returned: '已交还客户 {at}', promisedBy: '承诺 {at} 前返还',
    void: '客服已作废(误录)',
  },
  review: {
    title: '客户确认', intro: '请核对以下服务内容后签字。', hash: '内容摘要',
    unsyncedConflict: '您工作期间办公室修改了此工单，本机尚未收到其版本。请先同步再请客户签字，否则签字可能被拒收而需重签。',
    customerName: '客户姓名', engineerName: '工程师姓名', customerSign: '客户签字',
    engineerSign: '工程师签字', clear: '重签', confirm: '确认签字', signed: '{name} 已签字',
    rating: '您对本次服务满意吗？', remarks: '意见', rate: '提交评价', rated: '评分 {n} / 5',
    workDoneFirst: '请先在工单页点击“完工”，再请客户签字：完工前的签字不能完成工单。',
    tooShort: '签名过短，请重新签字', done: '谢谢！', pdf: '打开已签字报告',
    signedOther: '签字时的内容是此记录的较早版本：签字后工单有改动（可能是您离线期间办公室修改的）。此后报告只能由办公室出具更正，请告知办公室。',
    pdfOffline: '手机联网后才能打开报告。', pdfFailed: '报告暂时无法打开（{status}），请稍后再试。',
    partTranslation: '英文（仅供参考，不属于签字内容）：{name}',
  },
  sync: {
    title: '同步', now: '立即同步', pending: '待同步', last: '上次同步', never: '从未',
    failed: '未同步（被拒绝）', noFailed: '无被拒绝的修改', conflicts: '与客服的冲突',
    noConflicts: '无未解决冲突', offline: '离线', online: '在线', syncing: '同步中…',
    clock: '手机时间偏差超过 5 分钟，请校正。', uploads: '待上传照片',
    error: '最近错误', logout: '退出登录', logoutBlocked: '仍有未同步的修改或照片，确定退出？',
    logoutOffline: '当前离线。重新登录需要网络连接：在有信号之前，将无法在本机打开您的工单。仍要退出登录吗？',
    device: '设备',
    offlineKept: '当前离线；修改已保存在本机，有信号时会自动同步。',
    failedKept: '同步未完成；修改已保存在本机，稍后会重新发送。{error}',
    done: '已同步',
    detached: '未关联的照片',
    detachedWhy: '其记录已被拒绝（见下方）：照片保留在本机，但不会上传，也不影响退出登录。',
    refusedPhoto: '服务器拒收的照片', sendAgain: '重新发送',
    refusedWhy: '服务器无法接收此照片，请重新拍摄（客户签字前可删除这张）；它保留在本机，不影响退出登录',
  },
  syncError: {
    network: '无法连接服务器（无信号，或服务器无法访问）。',
    busy: '服务器繁忙。',
    server_error: '服务器出现问题。',
    too_many: '尝试次数过多，应用稍后会再试。',
    login: '登录已失效，请重新登录。',
  },
  refused: {
    reassigned: '您离线期间，此工单已改派给其他工程师。',
    not_yours: '此工单未派给您（或已不再由您负责）。',
    signed_photo: '客户已签字的报告中包含此照片，现在不能再修改。',
    removed: '该备件明细或照片此前已被移除。',
    job_reviewed: '办公室已审核此工单：服务记录、备件和照片不能再从手机修改。请联系办公室；您填写的内容已为他们保留。',
    already_rated: '客户已对本次上门服务作过评价。',
  },
  mutation: {
    job_accept: '接单', job_status: '状态', job_record: '服务记录', trip_log: '外出工地登记',
    part_line_add: '添加备件', part_line_change: '修改备件', part_line_remove: '移除备件',
    photo_add: '照片', photo_change: '修改照片', photo_remove: '移除照片', note_add: '备注', signature_add: '签字', satisfaction_add: '评价',
    receipt_add: '返修收据',
  },
  conflict: {
    ...CONFLICT_NAMES['zh-CN'],
    kind: {
      reassigned: '您离线工作期间，此工单已改派给其他工程师。您的工作已保留，由客服决定如何处理。',
      reviewed: '此内容送达时办公室已审核此工单。内容已保留，并已通知办公室。',
      status: '工单状态已在别处更改，无法执行您的状态变更。您的工作已保留，工单状态由客服决定。',
      cancelled: '您离线工作期间，办公室取消了此工单，因此您的状态变更未执行。您的工作已保留，由客服决定工单是否继续。',
      edited_own_device: '您在另一部手机上同时修改了此项。两个版本都已保留，由客服决定保留哪个。',
      edited_other_engineer: '其他工程师同时修改了此项。两个版本都已保留，由客服决定保留哪个。',
      edited: '此项已在别处被修改。两个版本都已保留，由客服决定保留哪个。',
      signature: '此工单已有该签字。第二个签字已保留，由客服决定保留哪个。',
      other: '此修改需要客服决定，您录入的内容不会丢失。',
    },
    server: '服务器说明：{reason}',
  },
  common: { save: '保存', cancel: '取消', back: '返回', yes: '是', no: '否' },
}

export const LOCALES = ['zh-CN', 'en'] as const
export type Locale = (typeof LOCALES)[number]

export function preferredLocale(languages: readonly string[] = navigator.languages ?? [navigator.language]): Locale {
  const saved = typeof localStorage !== 'undefined' ? localStorage.getItem('fieldsync.locale') : null
  if (saved === 'zh-CN' || saved === 'en') return saved
  return languages.some((l) => l.toLowerCase().startsWith('zh')) ? 'zh-CN' : 'en'
}

export const i18n = createI18n({
  legacy: false,
  locale: preferredLocale(),
  fallbackLocale: 'en',
  messages: { en, 'zh-CN': zh },
})

export function setLocale(locale: Locale): void {
  i18n.global.locale.value = locale
  localStorage.setItem('fieldsync.locale', locale)
  document.documentElement.lang = locale
}

/** The customer's language for the review screen: their own when we have it. */
export function customerLocale(locale: unknown): Locale {
  return typeof locale === 'string' && locale.toLowerCase().startsWith('zh') ? 'zh-CN' : 'en'
}

/** The message key naming a mutation for the engineer ("part_line.change" → a label), since
 * vue-i18n reads a dot as a path. */
export const mutationKey = (name: string): string => `mutation.${name.replace(/\./g, '_')}`

/** The text under `group` for `code` in `locale` (the app's own by default), or `said` (the
 * server's words, English) when the app has none for it: no code, or one a newer server added. */
function wordsFor(group: string, code: string | null | undefined, said: string, locale?: string): string {
  const g = i18n.global
  const where: Locale = locale === 'en' || locale === 'zh-CN' ? locale : g.locale.value
  const key = `${group}.${code ?? ''}`
  return code && /^[a-z_]+$/.test(code) && g.te(key, where) ? g.t(key, {}, { locale: where }) : said
}

/** What stopped a sync, in the app's words where it knows the kind (`errorKind` in sync.ts),
 * else as it was said (`lastError`). */
export const syncErrorText = (kind: string, said: string, locale?: string): string => wordsFor('syncError', kind, said, locale)

/** Why a change was refused, in the app's words where it knows the refusal's code (sync
 * protocol 4.2), else in the server's (`reason`). */
export const refusalText = (entry: { reason: string; code?: string | null }, locale?: string): string =>
  wordsFor('refused', entry.code, entry.reason, locale)

/** What the engineer is told after tapping "sync now" (none when the session has ended). */
export function syncOutcomeKey(outcome: SyncOutcome): string | null {
  const keys: Record<SyncOutcome, string | null> = {
    synced: 'sync.done',
    offline: 'sync.offlineKept',
    failed: 'sync.failedKept',
    'signed-out': null,
  }
  return keys[outcome]
}
