// zh-CN when the browser prefers Chinese, else English; switchable and remembered.
import { createI18n } from 'vue-i18n'
import { CONFLICT_NAMES } from '../conflict-text'
import { catalogueText } from './text/catalogue'
import { customersText } from './text/customers'
import { errorsText } from './text/errors'
import { peopleText } from './text/people'

const en = {
  app: { title: 'Fieldsync service desk', language: 'Language', logout: 'Sign out', live: 'Live', offline: 'Reconnecting…' },
  login: {
    title: 'Service desk sign-in', username: 'Username', password: 'Password', submit: 'Sign in', failed: 'Sign-in failed',
    engineer: 'This console is for the office. Engineers use the engineer app at /app/.', expired: 'Your session ended; sign in again.',
  },
  menu: {
    intake: 'Intake', board: 'Dispatch board', review: 'Review queue', conflicts: 'Reconciliation', settlement: 'Settlement',
    van: 'Van stock', followup: 'Follow-up', complaints: 'Complaints', figures: 'Figures',
    customers: 'Customers', catalogue: 'Parts & stock', people: 'People & devices',
  },
  role: { admin: 'Administrator', dispatcher: 'Dispatcher', supervisor: 'Supervisor', quality: 'Quality', engineer: 'Engineer' },
  status: {
    reported: 'Reported', accepted: 'Accepted', assigned: 'Assigned', en_route: 'On the way', on_site: 'On site',
    waiting_parts: 'Waiting for parts', work_done: 'Work done', signed: 'Signed', reviewed: 'Reviewed',
    settled: 'Settled', followed_up: 'Followed up', closed: 'Closed', cancelled: 'Cancelled', reopened: 'Reopened',
  },
  urgency: { low: 'Low', normal: 'Normal', high: 'High', critical: 'Critical' },
  channel: { phone: 'Phone', web: 'Web', email: 'E-mail', on_site: 'On site' },
  warranty: { in_warranty: 'In warranty until {date}', expired: 'Out of warranty (ended {date})', unknown: 'Warranty unknown' },
  common: {
    save: 'Save', cancel: 'Cancel', confirm: 'Confirm', refresh: 'Refresh', none: 'None', number: 'No.', customer: 'Customer',
    engineer: 'Engineer', status: 'Status', actions: 'Actions', reason: 'Reason', open: 'Open', close: 'Close',
    loading: 'Loading…', notAvailable: 'Not available on this server yet', done: 'Done', search: 'Search', all: 'All',
    noJob: 'No job numbered {number}', code: 'Code', lang_zh: 'Chinese', lang_en: 'English',
  },
  intake: {
    title: 'Register a fault (报修)', customer: 'Customer', search: 'Search name, code or phone', newCustomer: 'New customer',
    name: 'Name', phone: 'Phone', address: 'Address', create: 'Create customer', site: 'Site', asset: 'Equipment',
    noAsset: 'No equipment', channel: 'Channel', urgency: 'Urgency', contact: 'Contact', contactPhone: 'Contact phone',
    fault: 'Fault description', notes: 'Office notes', newSite: 'New site', newAsset: 'New equipment', model: 'Model',
    serial: 'Serial number', accepted: 'Accepted on (验收)', submit: 'Register', created: 'Registered {number}', toBoard: 'To the board',
    nameNeeded: 'A customer needs a name.',
    sameName: 'A customer named “{name}” exists already ({code}). Use it, or make a second customer of that name?',
    useExisting: 'Use the existing customer', createAnyway: 'Make a second one',
  },
  board: {
    unassigned: 'Waiting for an engineer', atRisk: 'At risk', engineers: 'Engineers', region: 'Region', load: 'Active jobs',
    clock_plan: 'Plan due', clock_on_site: 'On site due', clock_callback: 'Call-back due', days: '{n}d', countdown: 'Time left', assign: 'Assign', reassign: 'Reassign', schedule: 'Schedule',
    cancelJob: 'Cancel job', chooseEngineer: 'Choose an engineer', when: 'Visit time', cancelReason: 'Why is it cancelled?',
    assigned: 'Assigned to {name}', empty: 'Nothing waiting', inProgress: 'In progress and awaiting review', reopened: 'Reopened after the call-back: dispatch again', find: 'Find a job', fault: 'Fault', updated: 'Updated {time}',
    capped: 'Showing the {shown} waiting longest of {total}; the others appear as these are dealt with.',
    recordCallback: 'Record call-back',
    reasonNeeded: 'A reason is needed: say why the job is cancelled.', cancelled: 'Job {number} cancelled',
  },
  review: {
    queue: 'Waiting for review', flags: 'Flags', unsigned: 'Unsigned', no_after_photo: 'No "after" photo',
    photos_on_the_way: '{n} photo(s) still uploading: the report waits for them',
    open_conflicts: '{n} open conflicts', clock_skew: 'Clock skew', beyond_van_stock: 'Beyond van stock: {codes}',
    approve: 'Approve', sendBack: 'Send back', note: 'Reason for the engineer', record: 'Service record', diagnosis: 'Diagnosis',
    cause: 'Cause', work_done: 'Work done', advice: 'Advice', parts: 'Parts', photos: 'Photos', signatures: 'Signatures',
    pdf: 'Report PDF', noPdf: 'No report issued yet',
    signedOther: 'The customer signed other content than the job holds now',
    signedOtherHelp: 'The job changed after the customer signed (an office edit made while the engineer was offline, say), so the signed report cannot be issued as it is. Put the change back, or issue a correction that says why.',
    changedSinceIssued: 'The job changed since its last report: a correction gives the report what the job holds now.',
    corrected: 'The customer signed an earlier version of this job; the latest correction covers the job as it now is.',
    issue: 'Issue the report', correctionReason: 'Reason for the correction (printed on the report)',
    issueCorrection: 'Issue a correction', issued: 'Report issued', approved: 'Approved', sentBack: 'Sent back', empty: 'Nothing to review',
    completed: 'Completed', quantity: 'Qty', billing: 'Billing', price: 'Unit price',
    earlier: 'Other visits to this equipment', earlierNone: 'No other visits', earlierMore: 'The newest {shown} of {total} are listed',
    number: 'No.', reported: 'Reported',
    photo_uploading: 'Uploading', photo_processing: 'Processing', photo_failed: 'Not usable: {reason}',
    removedPhotos: 'Taken off the job by the engineer ({n}): kept, not in the report', removedAt: 'removed {time}',
    revision: 'rev. {n}', category_before: 'Before', category_during: 'During', category_after: 'After',
    category_defect: 'Defect', category_nameplate: 'Nameplate', signer_customer: 'Customer', signer_engineer: 'Engineer',
  },
  conflicts: {
    open: 'Open', resolved: 'Resolved', field: 'Field', base: 'Base', server: 'Server value', client: 'Device value',
    who: 'Who', when: 'When', useServer: 'Keep server', useClient: 'Take device', edit: 'Edit value', resolveSelected: 'Resolve selected',
    choice: 'Decision', value: 'Value', resolvedBy: 'Resolved by', oneField: 'Select conflicts of one field', empty: 'No conflicts',
    latestOnly: 'The latest {n} decisions of {total}, newest first',
    job: 'Job', reason: 'Why', choice_server: 'Server value kept', choice_client: 'Device value taken',
    choice_value: 'Value entered', selected: '{n} selected',
    confirmTitle: 'Confirm the decision',
    confirm_server: "Keep the server value of “{field}” on job {number}? The device's value is set aside (the Resolved tab still shows it).",
    confirm_client: "Take the device value of “{field}” on job {number}? It replaces the server's value (the Resolved tab still shows it).",
    confirmMany_server: "Keep the server value of “{field}” on {n} conflicts (jobs {numbers})? The devices' values are set aside (the Resolved tab still shows them).",
    confirmMany_client: "Take the device value of “{field}” on {n} conflicts (jobs {numbers})? They replace the server's values (the Resolved tab still shows them).",
    done: 'Job {number}: {choice}', doneMany: '{n} conflicts decided: {choice}', editHint: '{field}: starts from the device value; edit it into the value that stays.',
  },
  conflict: {
    ...CONFLICT_NAMES.en,
    kind: {
      reassigned: 'Work sent by an engineer who had the job before it was reassigned. Keep it or not.',
      status: "The engineer's status change is not a move the job can make from its status now. Decide the status.",
      cancelled: "The engineer worked on the job after it was cancelled. Keep the cancellation, or take the engineer's status to keep the work (the cancellation then ends).",
      edited_own_device: 'The engineer changed this on two devices at once. Choose the version that stays, or enter a merged one.',
      edited_other_engineer: 'Two engineers changed this at once. Choose the version that stays, or enter a merged one.',
      edited: "This changed elsewhere while the engineer's edit was offline. Choose the version that stays, or enter a merged one.",
      signature: 'The job has this signature already and a second, different one arrived. Choose the one that stays.',
      other: 'A change from a device that needs a decision.',
    },
    server: 'Server: {reason}',
    signatureOf: 'Signature of {name}',
    signature: 'A signature',
    empty: '(empty)',
  },
  settlement: {
    job: 'Job number', find: 'Load', lines: 'Lines', kind: 'Kind', description: 'Description', quantity: 'Qty', unitPrice: 'Unit price',
    amount: 'Amount', billing: 'Billing', warranty: 'Warranty', chargeable: 'Chargeable', total: 'Total', labourHours: 'Labour hours',
    reclassify: 'Reclassify', settle: 'Settle', statementPdf: 'Statement PDF', statementXlsx: 'Statement XLSX', van: 'Van check',
    used: 'Used', takenFromVan: 'Taken from van', difference: 'Difference', settled: 'Settled {time}', ready: 'To settle (reviewed)', settledJobs: 'Settled, awaiting the call-back',
    inWarranty: 'In warranty', outOfWarranty: 'Out of warranty', apiMissing: 'The settlement service is not available yet: settle the job without lines.',
    part: 'Part', labour: 'Labour', callout: 'Call-out', changedBy: 'Changed by',
    confirmSettle: 'Settle job {number}? Its settlement lines, billing and labour hours are then frozen and no longer change.',
    settledJob: 'Job {number} settled',
    hours_format: 'Labour hours: type a plain number such as 2.5 (digits and a decimal point only).',
    hours_decimals: 'Labour hours may have at most 3 decimals.',
    hours_range: 'Labour hours must be from 0 to 1000.',
  },
  van: { month: 'Month', usedOnJobs: 'Used on jobs', movedOut: 'Moved out', level: 'Level now', part: 'Part' },
  followup: {
    calls: 'Call list (回访)', due: 'Call back by', overdue: 'Overdue', contact: 'Contact', record: 'Record call', score: 'Score',
    satisfied: 'Satisfied', remarks: 'Remarks', yes: 'Satisfied', no: 'Unsatisfied: visit again', toClose: 'Followed up, to close',
    closeJob: 'Close', empty: 'No calls due', reopened: 'Reopened: it is back on the board',
    needScore: "Choose the customer's score (1 to 5 stars).", needSatisfied: 'Choose whether the customer is satisfied.',
    confirmClose: 'Close job {number}? Closing ends the job: it can no longer be changed or reopened.', closed: 'Job {number} closed',
  },
  complaints: {
    inactive: 'no longer active',
    new: 'New complaint', severity: 'Severity', minor: 'Minor', major: 'Major', serious: 'Serious', description: 'Description',
    owner: 'Owner', deadline: 'Deadline', resolution: 'Resolution', escalate: 'Escalate', escalated: 'Escalated', notEscalated: 'Not escalated',
    in_progress: 'In progress', open: 'Open', resolved: 'Resolved', edit: 'Edit', jobNumber: 'Job (optional)', created: 'Created',
  },
  jobDesk: {
    title: 'The job at the desk', edit: 'Edit the job', accept: 'Accept with a plan', uncancel: 'Undo the cancellation',
    acceptHelp: 'Accepting (受理) says the report was checked and gives the customer a handling plan: it stops the 24-hour plan clock.',
    urgency: 'Urgency', channel: 'Reported by', contact: 'Contact', contact_name: 'Contact name', contact_phone: 'Contact phone',
    handling_plan: 'Handling plan', office_notes: 'Office notes', fault_description: 'Fault description',
    site_id: 'Site', asset_id: 'Equipment', cancelReason: 'Cancelled because', version: 'Version', customer_id: 'Customer',
    moveHelp: 'Taken under the wrong customer? Search for the right one: the site and equipment are then chosen from their file, and the engineer\'s phone gets it at its next sync.',
    moveSigned: 'The customer signed the report for this customer: it stays with them (cancel the job and register the fault again to start over).',
    moveConfirm: 'File job {number} under {to} instead of {from}? Complaints about this job go with it.',
    saved: 'The job is saved', accepted: 'Accepted with its plan', uncancelled: 'The job is back at the desk, to be dispatched',
    uncancelConfirm: 'Take job {number} up again? It goes back to the desk as accepted, to be dispatched again.',
    faultNeeded: 'Describe the fault', planNeeded: 'Write the handling plan',
  },
  figures: {
    month: 'Month', period: { month: 'Month', quarter: 'Quarter', year: 'Year' }, quarterN: 'Q{n}', notDispatched: 'No engineer', xlsx: 'Download XLSX', total: 'Department', jobs_reported: 'Reported', jobs_completed: 'Completed',
    response_hours: 'Response (h)', to_site_hours: 'To site (h)', to_fix_hours: 'To fix (h)', first_time_fix_rate: 'First-time fix',
    plan_sla_rate: 'Plan SLA', site_sla_rate: 'Site SLA', satisfaction_on_site: 'Satisfaction (site)',
    satisfaction_callback: 'Satisfaction (call)', complaints: 'Complaints', parts_cost_warranty: 'Parts in warranty',
    parts_cost_chargeable: 'Parts chargeable', jobsChart: 'Jobs per engineer', timesChart: 'Median hours per engineer',
  },
  customers: customersText.en,
  catalogue: catalogueText.en,
  people: peopleText.en,
  errors: errorsText.en,
}

type Messages = typeof en

const zh: Messages = {
  app: { title: 'Fieldsync 售后服务台', language: '语言', logout: '退出', live: '实时', offline: '重新连接中…' },
  login: {
    title: '服务台登录', username: '用户名', password: '密码', submit: '登录', failed: '登录失败',
    engineer: '此控制台供办公室使用。工程师请使用 /app/ 的工程师应用。', expired: '会话已结束,请重新登录。',
  },
  menu: {
    intake: '报修登记', board: '派工看板', review: '主管审核', conflicts: '冲突处理', settlement: '结算',
    van: '车载库存对账', followup: '回访', complaints: '投诉', figures: '统计',
    customers: '客户与设备', catalogue: '备件与库存', people: '人员与设备终端',
  },
  role: { admin: '管理员', dispatcher: '派工员', supervisor: '主管', quality: '质量部门', engineer: '工程师' },
  status: {
    reported: '已报修', accepted: '已受理', assigned: '已派工', en_route: '在途', on_site: '在现场',
    waiting_parts: '待料', work_done: '已完工', signed: '已签字', reviewed: '已审核',
    settled: '已结算', followed_up: '已回访', closed: '已关闭', cancelled: '已取消', reopened: '重新派修',
  },
  urgency: { low: '低', normal: '一般', high: '紧急', critical: '特急' },
  channel: { phone: '电话', web: '网页', email: '邮件', on_site: '现场' },
  warranty: { in_warranty: '保修期内,至 {date}', expired: '保修期外(已于 {date} 到期)', unknown: '保修情况不明' },
  common: {
    save: '保存', cancel: '取消', confirm: '确定', refresh: '刷新', none: '无', number: '单号', customer: '客户',
    engineer: '工程师', status: '状态', actions: '操作', reason: '原因', open: '打开', close: '关闭',
    loading: '加载中…', notAvailable: '服务器暂不提供此功能', done: '完成', search: '搜索', all: '全部',
    noJob: '没有单号为 {number} 的工单', code: '编码', lang_zh: '中文', lang_en: '英文',
  },
  intake: {
    title: '报修登记', customer: '客户', search: '搜索名称、编号或电话', newCustomer: '新建客户',
    name: '名称', phone: '电话', address: '地址', create: '创建客户', site: '工地 / 站点', asset: '设备',
    noAsset: '无设备', channel: '渠道', urgency: '紧急程度', contact: '联系人', contactPhone: '联系电话',
    fault: '故障描述', notes: '办公室备注', newSite: '新建站点', newAsset: '新建设备', model: '型号',
    serial: '序列号', accepted: '验收合格日期', submit: '登记', created: '已登记 {number}', toBoard: '去派工看板',
    nameNeeded: '请填写客户名称。',
    sameName: '已有名为「{name}」的客户（{code}）。使用该客户，还是再建一个同名客户？',
    useExisting: '使用已有客户', createAnyway: '仍然新建',
  },
  board: {
    unassigned: '待派工', atRisk: '临近超时', engineers: '工程师', region: '区域', load: '在办工单',
    clock_plan: '方案期限', clock_on_site: '到场期限', clock_callback: '回访期限', days: '{n}天', countdown: '剩余时间', assign: '派工', reassign: '改派', schedule: '预约时间',
    cancelJob: '取消工单', chooseEngineer: '选择工程师', when: '上门时间', cancelReason: '取消原因',
    assigned: '已派给 {name}', empty: '暂无待办', inProgress: '进行中 / 待审核', reopened: '回访不满意,重新派修', find: '查找工单', fault: '故障', updated: '更新于 {time}',
    capped: '共 {total} 条,仅显示等待最久的 {shown} 条;处理后其余的会依次显示。',
    recordCallback: '记录回访',
    reasonNeeded: '请填写取消原因。', cancelled: '工单 {number} 已取消',
  },
  review: {
    queue: '待审核', flags: '提示', unsigned: '客户未签字', no_after_photo: '缺少"完工后"照片',
    photos_on_the_way: '{n} 张照片尚在上传，报告待其到齐后出具',
    open_conflicts: '{n} 个未决冲突', clock_skew: '设备时钟偏差', beyond_van_stock: '超出车载库存:{codes}',
    approve: '审核通过', sendBack: '退回', note: '给工程师的退回原因', record: '售后服务记录', diagnosis: '故障诊断',
    cause: '原因分析', work_done: '处理结果', advice: '注意事项', parts: '备件', photos: '照片', signatures: '签字',
    pdf: '服务报告 PDF', noPdf: '尚未出具报告',
    signedOther: '客户签字确认的内容与工单当前内容不一致',
    signedOtherHelp: '客户签字后工单有改动（例如工程师离线期间办公室修改了工单），签字的报告无法按原样出具。请改回，或出具更正并注明原因。',
    changedSinceIssued: '上次出具报告后工单有改动：出具更正可使报告与工单当前内容一致。',
    corrected: '客户签字的是此工单的较早版本；最近一次更正已与工单当前内容一致。',
    issue: '出具报告', correctionReason: '更正原因（将印在报告上）',
    issueCorrection: '出具更正', issued: '报告已出具', approved: '已审核通过', sentBack: '已退回', empty: '没有待审核的工单',
    completed: '完工时间', quantity: '数量', billing: '计费', price: '单价',
    earlier: '该设备的历次维修', earlierNone: '该设备没有其他维修记录', earlierMore: '列出最近 {shown} 次,共 {total} 次',
    number: '单号', reported: '报修时间',
    photo_uploading: '上传中', photo_processing: '处理中', photo_failed: '无法使用:{reason}',
    removedPhotos: '工程师已从工单移除的照片({n} 张):已保留,不进入报告', removedAt: '移除于 {time}',
    revision: '第 {n} 版', category_before: '维修前', category_during: '维修中', category_after: '维修后',
    category_defect: '故障部位', category_nameplate: '铭牌', signer_customer: '客户', signer_engineer: '工程师',
  },
  conflicts: {
    open: '待处理', resolved: '已处理', field: '字段', base: '原值', server: '服务器值', client: '设备值',
    who: '提交人', when: '时间', useServer: '保留服务器值', useClient: '采用设备值', edit: '修改取值', resolveSelected: '批量处理所选',
    choice: '决定', value: '取值', resolvedBy: '处理人', oneField: '请选择同一字段的冲突', empty: '没有冲突',
    latestOnly: '共 {total} 条,显示最近处理的 {n} 条(最新在前)',
    job: '工单', reason: '原因', choice_server: '保留服务器值', choice_client: '采用设备值',
    choice_value: '手工取值', selected: '已选 {n} 项',
    confirmTitle: '确认处理',
    confirm_server: '保留工单 {number} 的「{field}」服务器值?设备值将被舍弃(“已处理”中仍可查看)。',
    confirm_client: '采用工单 {number} 的「{field}」设备值?服务器值将被替换(“已处理”中仍可查看)。',
    confirmMany_server: '对 {n} 个冲突(工单 {numbers})保留「{field}」的服务器值?设备值将被舍弃(“已处理”中仍可查看)。',
    confirmMany_client: '对 {n} 个冲突(工单 {numbers})采用「{field}」的设备值?服务器值将被替换(“已处理”中仍可查看)。',
    done: '工单 {number}:{choice}', doneMany: '已处理 {n} 个冲突:{choice}', editHint: '{field}:以下为设备值,请修改为最终保留的内容。',
  },
  conflict: {
    ...CONFLICT_NAMES['zh-CN'],
    kind: {
      reassigned: '工单改派前,原工程师离线提交的工作。请决定是否保留。',
      status: '工程师提交的状态变更无法从工单当前状态执行。请决定工单状态。',
      cancelled: '工单取消后工程师仍在处理。可保留取消，或采用工程师的状态以保留其工作（取消随之撤销）。',
      edited_own_device: '同一工程师在两台设备上同时修改了此项。请选择保留的版本,或输入合并后的内容。',
      edited_other_engineer: '两位工程师同时修改了此项。请选择保留的版本,或输入合并后的内容。',
      edited: '工程师离线修改期间,此项已在别处被修改。请选择保留的版本,或输入合并后的内容。',
      signature: '工单已有此签字,又收到一个不同的签字。请选择保留哪一个。',
      other: '设备提交的修改需要人工决定。',
    },
    server: '服务器说明:{reason}',
    signatureOf: '{name} 的签字',
    signature: '签字',
    empty: '(空)',
  },
  settlement: {
    job: '工单号', find: '载入', lines: '结算明细', kind: '类别', description: '说明', quantity: '数量', unitPrice: '单价',
    amount: '金额', billing: '计费', warranty: '保修', chargeable: '收费', total: '合计', labourHours: '工时',
    reclassify: '改变计费', settle: '结算', statementPdf: '结算单 PDF', statementXlsx: '结算单 XLSX', van: '车载库存核对',
    used: '已用', takenFromVan: '车载出库', difference: '差异', settled: '结算于 {time}', ready: '待结算(已审核)', settledJobs: '已结算(待回访)',
    inWarranty: '保修期内', outOfWarranty: '保修期外', apiMissing: '结算服务尚未上线:可先直接结算工单(无明细)。',
    part: '备件', labour: '人工', callout: '上门费', changedBy: '修改人',
    confirmSettle: '确认结算工单 {number}?结算后明细、计费与工时将冻结,不能再修改。',
    settledJob: '工单 {number} 已结算',
    hours_format: '工时:请输入数字,如 2.5(只能包含数字和小数点)。',
    hours_decimals: '工时最多保留 3 位小数。',
    hours_range: '工时须在 0 到 1000 之间。',
  },
  van: { month: '月份', usedOnJobs: '工单用量', movedOut: '出库量', level: '当前库存', part: '备件' },
  followup: {
    calls: '回访清单', due: '回访期限', overdue: '已逾期', contact: '联系人', record: '记录回访', score: '评分',
    satisfied: '是否满意', remarks: '意见', yes: '满意', no: '不满意:重新派修', toClose: '已回访,待关闭',
    closeJob: '关闭', empty: '暂无回访', reopened: '已重新派修:工单回到派工看板',
    needScore: '请选择客户评分(1 到 5 星)。', needSatisfied: '请选择客户是否满意。',
    confirmClose: '确认关闭工单 {number}?关闭后工单即结束,不能再修改或重新派修。', closed: '工单 {number} 已关闭',
  },
  complaints: {
    inactive: '已停用',
    new: '新建投诉', severity: '严重程度', minor: '一般', major: '较重', serious: '严重', description: '投诉内容',
    owner: '负责人', deadline: '期限', resolution: '处理结果', escalate: '上报总监', escalated: '已上报', notEscalated: '未上报',
    in_progress: '处理中', open: '待处理', resolved: '已解决', edit: '编辑', jobNumber: '工单(可选)', created: '登记时间',
  },
  jobDesk: {
    title: '受理信息', edit: '修改工单', accept: '受理并给出方案', uncancel: '撤销取消',
    acceptHelp: '受理表示已核实报修并向客户给出处理方案：24 小时方案时限随之停止。',
    urgency: '紧急程度', channel: '报修渠道', contact: '联系人', contact_name: '联系人姓名', contact_phone: '联系电话',
    handling_plan: '处理方案', office_notes: '办公室备注', fault_description: '故障描述',
    site_id: '站点', asset_id: '设备', cancelReason: '取消原因', version: '版本', customer_id: '客户',
    moveHelp: '登记错了客户？搜索正确的客户：站点和设备随后从该客户档案中选择，工程师手机在下次同步时收到。',
    moveSigned: '客户已为此客户签署服务报告，工单不能再转到其他客户（如需重来，请取消工单后重新登记）。',
    moveConfirm: '将工单 {number} 从 {from} 转到 {to} 名下？与此工单相关的投诉一并转过去。',
    saved: '工单已保存', accepted: '已受理并记录方案', uncancelled: '工单已退回服务台，待重新派工',
    uncancelConfirm: '重新受理工单 {number}？工单将以"已受理"退回服务台，需重新派工。',
    faultNeeded: '请填写故障描述', planNeeded: '请填写处理方案',
  },
  figures: {
    month: '月份', period: { month: '月度', quarter: '季度', year: '年度' }, quarterN: '第{n}季度', notDispatched: '无工程师', xlsx: '下载 Excel', total: '全部门', jobs_reported: '报修数', jobs_completed: '完工数',
    response_hours: '响应(小时)', to_site_hours: '到场(小时)', to_fix_hours: '修复(小时)', first_time_fix_rate: '一次修复率',
    plan_sla_rate: '方案达标率', site_sla_rate: '到场达标率', satisfaction_on_site: '现场满意度',
    satisfaction_callback: '回访满意度', complaints: '投诉', parts_cost_warranty: '保修备件成本',
    parts_cost_chargeable: '收费备件金额', jobsChart: '各工程师工单数', timesChart: '各工程师时长中位数(小时)',
  },
  customers: customersText.zh,
  catalogue: catalogueText.zh,
  people: peopleText.zh,
  errors: errorsText.zh,
}

const STORE = 'fieldsync-office-locale'

function initial(): 'zh-CN' | 'en' {
  if (typeof localStorage === 'undefined' || typeof navigator === 'undefined') return 'en' // not in a browser (unit tests)
  const saved = localStorage.getItem(STORE)
  if (saved === 'zh-CN' || saved === 'en') return saved
  return navigator.languages.some((l) => l.toLowerCase().startsWith('zh')) ? 'zh-CN' : 'en'
}

/** Both languages' texts (exported for the test that both name every code the server sends). */
export const messages = { en, 'zh-CN': zh }

export const i18n = createI18n({
  legacy: false,
  locale: initial(),
  fallbackLocale: 'en',
  messages,
})

export function setLocale(locale: 'zh-CN' | 'en'): void {
  i18n.global.locale.value = locale
  localStorage.setItem(STORE, locale)
  document.documentElement.lang = locale
}
