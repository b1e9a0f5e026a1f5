// The console's words for the server's error codes (api/error_codes.py), in both languages.
// A test checks that each language names every code the server lists, and no other.
const en = {
  changed_meanwhile: 'A colleague saved this record after you opened it. Reload it and make your change again.',
  not_found: 'The {what} was not found: it may have been removed meanwhile.',
  job_status: 'The job is now “{status}”, so this can no longer be done (a colleague may just have acted on it). Reload to see it as it is.',
  job_signed: 'The customer has signed the report: {fields} can no longer change. Record corrections in the office notes.',
  settled: 'The job is settled: its settlement no longer changes.',
  already_resolved: 'This conflict was resolved already, perhaps by a colleague.',
  not_enough_stock: 'Not enough stock: the location holds {quantity}.',
  last_admin: 'This is the last active administrator: make another user an administrator first.',
  not_an_engineer: 'The chosen person is not an active engineer.',
  wrong_customer: 'The site or equipment chosen belongs to another customer or site.',
  reason_needed: 'Say why, in a few words.',
  no_mail_server: 'No mail server is set up on this server, so nothing can be e-mailed.',
  no_email: 'The customer has no e-mail address on file.',
  not_signed: 'The customer has not signed this job yet: a report is issued only for what the customer signed.',
  report_busy: 'A report of this job is being made; try again in a moment.',
  duplicate: 'A record with the same value (code, number or name) exists already.',
  missing_reference: 'A record this refers to no longer exists.',
  constraint: 'The change breaks a rule of the database.',
  out_of_range: 'A value is too large or otherwise out of range.',
  busy: 'The server is busy; try again in a few seconds.',
  too_many: 'Too many attempts; try again in {seconds} s.',
  // The kinds of record a "not found" names (api/http.py not_found), spaces as underscores.
  things: {
    asset: 'equipment', blob: 'file', complaint: 'complaint', conflict: 'conflict', customer: 'customer',
    device: 'device', image: 'image', job: 'job', link: 'link', part: 'part', report_link: 'report link',
    report: 'report', settlement_line: 'settlement line', site: 'site', stock_location: 'stock location',
    upload: 'upload', user: 'user',
  },
  // Job fields the customer's signature freezes (api/domain/jobs/services.py FROZEN_BY_SIGNATURE).
  fields: { fault_description: 'the fault description', site_id: 'the site', asset_id: 'the equipment' },
  fieldsJoin: ', ',
}

const zh: typeof en = {
  changed_meanwhile: '您打开此记录后，同事已保存过修改。请重新加载后再修改。',
  not_found: '找不到该{what}：可能已被删除。',
  job_status: '该工单当前为「{status}」，此操作已不适用（可能同事刚处理过）。请刷新查看最新状态。',
  job_signed: '客户已在报告上签字：{fields}不能再修改。更正请记在办公室备注中。',
  settled: '该工单已结算，结算内容不能再修改。',
  already_resolved: '此冲突已处理过（可能是同事处理的）。',
  not_enough_stock: '库存不足：该库位现有 {quantity}。',
  last_admin: '这是最后一个在用的管理员：请先指定另一位用户为管理员。',
  not_an_engineer: '所选人员不是在职工程师。',
  wrong_customer: '所选站点或设备属于其他客户或站点。',
  reason_needed: '请简要说明原因。',
  no_mail_server: '本服务器未配置邮件服务器，无法发送邮件。',
  no_email: '该客户没有登记电子邮箱。',
  not_signed: '客户尚未签字：只为客户签字确认的内容出具报告。',
  report_busy: '该工单的报告正在生成，请稍后再试。',
  duplicate: '已存在相同值（编码、编号或名称）的记录。',
  missing_reference: '所引用的记录已不存在。',
  constraint: '此修改违反了数据库规则。',
  out_of_range: '某个数值过大或超出范围。',
  busy: '服务器繁忙，请几秒后再试。',
  too_many: '尝试次数过多，请 {seconds} 秒后再试。',
  things: {
    asset: '设备', blob: '文件', complaint: '投诉', conflict: '冲突', customer: '客户',
    device: '终端', image: '图片', job: '工单', link: '链接', part: '备件', report_link: '报告链接',
    report: '报告', settlement_line: '结算明细', site: '站点', stock_location: '库位',
    upload: '上传', user: '用户',
  },
  fields: { fault_description: '故障描述', site_id: '站点', asset_id: '设备' },
  fieldsJoin: '、',
}

export const errorsText = { en, zh }
