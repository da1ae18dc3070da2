// Every string the console shows, in both languages, under the same keys
// (messages.test.js fails when one language lacks a key the other has).
// Chinese is the default: the association works in it.

export const LOCALES = ['zh-CN', 'en']

export const messages = {
  'zh-CN': {
    app: { title: '保安协会管理平台', short: '保安协会', switchTo: 'English', switchLabel: '切换到英文' },
    nav: { patrols: '巡逻', city: '全市概览', districts: '片区', district: '{d} 片区', meetings: '会议', actions: '任务', dispatches: '警保联动', notices: '通知', scan: '巡逻打卡', directives: '总部指令', conflicts: '跨片区冲突', ops: '运行状态', logout: '退出登录', skip: '跳到主要内容' },
    login: {
      title: '登录', username: '用户名', password: '密码', submit: '登录',
      failed: '登录失败：{message}', required: '请输入用户名和密码',
    },
    role: {
      'hq-admin': '协会总部', 'district-admin': '片区负责人', 'company-admin': '会员单位管理员',
      police: '公安', guard: '保安员', ops: '运维',
    },
    common: {
      notReported: '未上报', none: '无', loading: '加载中…', retry: '重试', back: '返回',
      error: '出错了：{message}', forbidden: '您的角色无权查看此页面', updated: '更新于 {time}',
      next: '下一页', first: '第一页', of: '{n} 项',
    },
    status: { ok: '正常', behind: '滞后', silent: '失联', not_reported: '未上报', deregistered: '已注销' },
    rates: { background: '背景审查', training: '培训', certified: '持证上岗', badge: '挂牌服务' },
    city: {
      title: '全市概览', districts: '片区数', companies: '会员单位', guards: '在岗保安员',
      convention: '公约签署率', attendance: '单位参会率', overdue: '逾期事项', conflicts: '跨片区冲突',
      table: '各片区', district: '片区', status: '状态', lastEvent: '最近事件', coverage: '排班覆盖率',
      fourRates: '四个100%', chart: '各片区四个100%', staleNote: '{list} 数据滞后或失联，数字为最后一次上报时的值',
      open: '查看',
    },
    district: {
      title: '{name}片区', companies: '会员单位', company: '单位', guards: '保安员',
      full: '四项全满', gaps: '缺口人员', rates: '四个100%', disputes: '纠纷', inspections: '隐患检查',
      findingsOpen: '未整改隐患', disputesOpen: '未结纠纷', noCompanies: '尚无会员单位的合规数据', trend: '近90天走势', trendEmpty: '尚无每日快照：每天零点（北京时间）收盘时记录一次，首个快照在今晚零点之后出现。',
    },
    meetings: {
      title: '会议', new: '新建会议', none: '暂无会议', meeting: '会议', type: '类型', titleField: '会议名称',
      startsAt: '开始时间', endsAt: '结束时间', venue: '地点', host: '主持人', create: '创建', status: '状态',
      attendance: '签到情况', invite: '邀请参会单位', chooseCompanies: '选择会员单位', inviteButton: '发出邀请',
      codesOnce: '签到二维码只显示这一次（系统只保存其哈希），请现在打印或发给各单位。', print: '打印', qrAlt: '{name} 的签到二维码',
      invitee: '参会单位/人员', checkedInAt: '签到时间',
      types: { district_working: '片区工作会议', district_roundtable: '片区座谈会', council: '理事会', presidents_office: '会长办公会' },
      statuses: { draft: '草稿', scheduled: '已安排', in_progress: '进行中', closed: '已结束' },
      to: { scheduled: '安排会议', in_progress: '开始会议', closed: '结束会议' },
      attendanceStatus: { invited: '未签到', present: '已到', late: '迟到', absent: '缺席' },
    },
    agenda: {
      title: '议程', none: '暂无议程', position: '序号', kind: '类型', itemTitle: '议题', presenter: '报告人', duration: '时长', durationField: '时长（分钟）',
      minutes: '{n} 分钟', add: '添加议题', up: '上移', upLabel: '上移“{title}”',
      kinds: { briefing: '通报', speeches: '发言', deployment: '工作部署', signing: '签约', remarks: '讲话' },
    },
    minutes: {
      title: '会议纪要', version: '版本', draft: '草稿（全部条目）', versionLabel: '第 {n} 版（{when}，{entries} 条）',
      versionLine: '第 {n} 版：{when} 发布，{entries} 条', unpublished: '尚未发布', none: '暂无纪要条目',
      speaker: '发言人', speakerRole: '职务', kind: '类型', text: '内容', state: '状态', publishedIn: '第 {n} 版', draftEntry: '草稿',
      add: '记录', publish: '发布纪要', edit: '修改', editLabel: '修改 {speaker} 的条目', save: '保存',
      whenHeld: '会议开始后才能记录纪要', nowSays: '该条目已被他人修改，现在为：“{text}”。您的修改尚未保存，可再次保存覆盖。',
      kinds: { speech: '发言', requirements: '工作要求', briefing: '通报', deployment: '部署', note: '备注' },
    },
    resolutions: {
      title: '决议与任务', adopt: '通过决议', none: '暂无决议', whenHeld: '会议开始后才能通过决议', adoptedAt: '{when} 通过',
      titleField: '决议名称', text: '决议内容', item: '任务 {n}', addItem: '再加一项任务', submit: '通过', company: '责任单位', ownerName: '责任人/部门',
      itemsOf: '“{title}”的任务', owners: { district: '片区', company: '会员单位', person: '个人' },
    },
    patrols: {
      title: '巡逻计划与实时打卡', coverage: '今日（{day}）各重点区域覆盖情况', noCoverage: '今日没有排班', area: '重点区域', fillRate: '覆盖率',
      nothingRequired: '无需排班', gapHours: '缺口小时数', uncovered: '未覆盖', staffedOfRequired: '已排 / 应排', minutesN: '{n} 分钟', minutesOf: '{staffed} / {required} 分钟',
      plans: '巡逻计划', newPlan: '新建巡逻计划', noPlans: '暂无巡逻计划', plan: '计划', window: '时段', shifts: '班次', staffed: '已排 / 应排',
      noShifts: '暂无班次', shiftsOf: '“{name}”的班次', newShift: '新建班次', expected: '应打卡次数', route: '巡逻路线', live: '实时打卡',
      liveOf: '{when} 班次的实时打卡', liveHelp: '每 3 秒自动刷新：保安员一打卡，这里就会显示。', guards: '当班保安员', noGuards: '该班次尚未安排保安员',
      accepted: '有效打卡', tour: '巡逻', complete: '已完成', incomplete: '未完成', scans: '打卡记录', noScans: '尚无打卡', scannedAt: '打卡时间',
      checkpoint: '巡逻点', distance: '距离', metres: '{n} 米', flags: '提示', offline: '离线补传', mock: '模拟定位', skewed: '手机时间不准',
      missed: '漏巡', missedLine: '{guard}：{kind}（{scans} / {expected}）', missedKinds: { not_started: '未开始巡逻', not_finished: '未巡完' }, required: '应排人数',
    },
    convention: {
      title: '自律公约签署', nav: '公约', version: '《{title}》{version} 版，{when} 发布', rate: '签署率', signed: '已签署 / 在册单位', unsigned: '尚未签署的会员单位',
      allSigned: '所有在册会员单位均已签署', signedList: '已签署的会员单位', noneSigned: '尚无单位签署', contact: '联系人', phone: '联系电话',
      record: '登记签署', recordFor: '登记 {name} 的签署', signedBy: '签署人', signedAt: '签署时间',
    },
    visits: {
      title: '走访会员单位', policy: '全市要求：每家在册会员单位每 {n} 个月至少走访一次。', plan: '走访计划进度', period: '周期', visitedOfPlanned: '已走访 / 计划',
      held: '走访次数', onTrack: '进度', yes: '达标', behind: '落后', due: '到期未走访的单位', noneDue: '没有到期未走访的单位', last: '上次走访', never: '从未走访',
      dueOn: '应走访日期', recorded: '走访记录', none: '暂无走访记录', on: '走访日期', by: '走访人', findings: '情况', followUps: '跟进事项',
    },
    checkIn: { done: '签到成功', failed: '签到失败' },
    company: { gaps: '合规缺口', guards: '保安员', certificates: '证书到期', import: '批量导入' },
    certificates: {
      expiring: '即将到期的保安员证', expiringHelp: '在岗保安员中，证书在协会规定的预警期内到期的（预警天数为全市统一政策，默认 30 天）。请提前安排复审换证。',
      noneExpiring: '预警期内没有到期的证书', left: '剩余', daysLeft: '{n} 天', today: '今天到期',
      lapsed: '无有效证书的在岗保安员', noneLapsed: '在岗保安员均持有有效证书', expiredOn: '证书有效期至 {day}，已失效', missing: '未取得保安员证',
    },
    guards: {
      title: '保安员', hire: '招录保安员', none: '暂无在职保安员', name: '姓名', idNumber: '身份证号', certificate: '保安员证号',
      validUntil: '证件有效期至', background: '背景审查', actions: '操作', leave: '离职', leaveConfirm: '确认 {name} 离职？',
      exportXlsx: '导出 Excel', exportCsv: '导出 CSV',
      checks: { none: '未审查', pending: '待审', passed: '已通过', failed: '未通过' },
      fields: {
        name: '姓名', id_number: '身份证号', certificate_number: '保安员证号', certificate_issued_on: '发证日期',
        certificate_valid_until: '有效期至', certificate_authority: '发证机关', hired_on: '入职日期',
      },
    },
    import: {
      help: '上传 Excel（.xlsx）或 CSV 文件，第一行为表头（可用模板的中文列名）。导入在后台进行，每行的错误会列在下面。',
      templateXlsx: '下载 Excel 模板', templateCsv: '下载 CSV 模板', file: '选择文件', start: '开始导入', progress: '导入进度',
      summary: '已处理 {processed} / {total} 行：成功 {ok} 行，失败 {failed} 行', report: '错误报告',
      line: '行号', field: '字段', message: '原因', errorId: '错误代码',
    },
    actions: {
      title: '会议决议任务', status: '状态', all: '全部', none: '暂无任务', item: '任务', owner: '负责', due: '完成期限', overdue: '已逾期',
      markDone: '标记完成', accept: '验收', reopen: '重新打开', statuses: { open: '进行中', done: '已完成', accepted: '已验收' },
    },
    dispatch: {
      title: '警保联动', raise: '发起调度', none: '暂无调度', raisedAt: '发起时间', kind: '类型', kindHint: '如：纠纷、巡查、治安',
      urgency: '紧急程度', status: '状态', toAccept: '签收用时', toArrive: '到场用时', toFeedback: '反馈用时', breaches: '超时环节',
      setting: '区域', lat: '纬度', lng: '经度', description: '说明', s: '{n} 秒', m: '{n} 分钟',
      urgencies: { urgent: '紧急', routine: '一般' }, settings: { urban: '城区', suburban: '郊区' },
      statuses: { offered: '待签收', unassigned: '无人签收', accepted: '已签收', en_route: '在途', arrived: '已到场', closed: '已结束' },
      stages: { accept: '签收', arrive: '到场', feedback: '反馈' },
    },
    ops: {
      title: '运行状态', behind: '总部落后 {n} 条事件', lastApplied: '最近应用', parked: '{n} 条事件暂存', service: '服务', alive: '心跳',
      silentSince: '自 {when} 失联', heartbeat: '最近心跳', leader: '转发主节点', backlog: '待发事件', oldest: '最早待发', clock: '时钟偏差',
      version: '版本', instances: '实例', yes: '是', no: '否',
    },
    conflicts: {
      title: '跨片区冲突', help: '同一人在两个片区在职、统一社会信用代码或保安员证号被重复登记。', none: '没有冲突',
      kind: '类型', key: '标识', districts: '涉及片区', records: '记录数',
      kinds: { person: '同一人多处在职', credit_code: '信用代码重复', certificate_number: '保安员证号重复' },
    },
    notices: {
      title: '片区通知', companyTitle: '本单位收到的通知', none: '暂无通知', notice: '通知', publishedAt: '发布时间', deadline: '签收期限',
      noAck: '无需签收', receipt: '回执', urgent: '紧急', normal: '普通', acknowledge: '签收', by: '签收人姓名', acknowledgedAt: '已于 {when} 签收',
      publish: '发布通知', titleField: '标题', body: '正文', markdown: '支持 Markdown：**加粗**、列表、链接', priority: '优先级',
      ackRequired: '要求各单位签收', recipients: '接收单位', read: '已读', acknowledged: '已签收',
      statuses: { delivered: '未读', read: '已读', acknowledged: '已签收' },
    },
    scan: {
      title: '巡逻打卡', notGuard: '只有保安员账号可以打卡。', tag: '点位码', camera: '扫码', submit: '打卡',
      accepted: '打卡成功（{when}）', duplicate: '这次打卡已经记录过', offline: '网络不通：这次打卡已保存在手机上，恢复网络后上传',
      noLocation: '无法取得位置：请允许浏览器使用定位', waiting: '{n} 条打卡待上传', upload: '上传',
      batch: '上传完成：接受 {accepted} 条，重复 {duplicates} 条，拒绝 {rejected} 条',
    },
    directives: {
      title: '总部指令', issue: '下发指令', none: '暂无指令', directive: '指令', delivery: '“{title}”的送达情况', delivered: '已送达', pending: '待送达',
      summary: '{delivered} 个片区已送达，{pending} 个待送达；{recipients} 家单位中 {acknowledged} 家已签收', rate: '签收率', lastReceipt: '最近回执',
    },
    disputes: {
      title: '纠纷调处', status: '状态', none: '暂无纠纷', kind: '类型', parties: '当事方', reportedAt: '报告时间', responseDue: '响应期限',
      mediationDue: '调解期限', late: '响应逾期', escalate: '应上报', outcome: '结果',
      kinds: { wages: '工资', labour_contract: '劳动合同', client_contract: '服务合同', injury: '工伤', other: '其他' },
      statuses: { reported: '已报告', mediating: '调解中', resolved: '已解决', escalated: '已上报' },
      steps: { contact: '联系', meeting: '约谈', note: '记录', status: '状态变更' },
    },
    inspections: {
      title: '隐患排查', none: '暂无检查', site: '检查地点', on: '检查日期', inspector: '检查人', score: '得分', result: '结论', findingsOpen: '未整改',
      results: { passed: '合格', failed: '不合格' },
    },
    wages: {
      title: '职工薪资保障', nav: '薪资', month: '月份', declare: '申报本月工资发放', none: '本月暂无申报', status: '状态',
      paid: '发放情况', notDeclared: '逾期未申报', paidOn: '{day} 足额发放', owed: '{n} 人未足额，拖欠 {amount} 元', guarantee: '保障措施',
      deadline: '申报期限', late: '逾期申报', review: '工会确认', confirm: '确认', dispute: '有异议', note: '说明（有异议时必填）',
      paidInFull: '全部保安员工资已按时足额发放', paidOnField: '发放日期', guardsAffected: '未足额发放人数', amount: '拖欠金额（元）',
      onTime: '按时申报率', arrears: '拖欠率', declared: '已申报', missed: '未申报',
      statuses: { declared: '已申报', confirmed: '工会已确认', disputed: '工会有异议', missed: '未申报' },
      guarantees: { none: '无', deposit: '保证金', insurance: '保险', union_agreement: '工会协议' },
    },
    gaps: {
      criterion: '项目', guard: '保安员', reason: '原因', none: '此项无缺口',
      reasons: {
        background_check_none: '未做背景审查', background_check_pending: '背景审查待审', background_check_failed: '背景审查未通过',
        hours_short: '本年度培训 {hours} 学时，要求 {required} 学时', pre_job_missing: '无岗前培训记录',
        certificate_missing: '无保安员证', certificate_expired: '保安员证已于 {until} 过期', badge_missing: '未挂牌服务',
      },
    },
  },
  en: {
    app: { title: 'Security Association Console', short: 'Association', switchTo: '中文', switchLabel: 'Switch to Chinese' },
    nav: { patrols: 'Patrols', city: 'City', districts: 'Districts', district: 'District {d}', meetings: 'Meetings', actions: 'Action items', dispatches: 'Dispatch', notices: 'Notices', scan: 'Patrol scan', directives: 'Directives', conflicts: 'Conflicts', ops: 'Operations', logout: 'Log out', skip: 'Skip to main content' },
    login: {
      title: 'Log in', username: 'Username', password: 'Password', submit: 'Log in',
      failed: 'Login failed: {message}', required: 'Enter your username and password',
    },
    role: {
      'hq-admin': 'Association HQ', 'district-admin': 'District lead', 'company-admin': 'Company admin',
      police: 'Police', guard: 'Guard', ops: 'Operations',
    },
    common: {
      notReported: 'not reported', none: 'none', loading: 'Loading…', retry: 'Retry', back: 'Back',
      error: 'Something went wrong: {message}', forbidden: 'Your role may not see this page', updated: 'Updated {time}',
      next: 'Next page', first: 'First page', of: '{n} items',
    },
    status: { ok: 'OK', behind: 'Behind', silent: 'Silent', not_reported: 'Not reported', deregistered: 'Deregistered' },
    rates: { background: 'Background checked', training: 'Trained', certified: 'Certified on duty', badge: 'Badge service' },
    city: {
      title: 'The city at a glance', districts: 'Districts', companies: 'Member companies', guards: 'Guards on duty',
      convention: 'Convention signed', attendance: 'Company attendance', overdue: 'Overdue action items', conflicts: 'Cross-district conflicts',
      table: 'Districts', district: 'District', status: 'Status', lastEvent: 'Last event', coverage: 'Shift coverage',
      fourRates: 'Four 100%', chart: 'The four 100% by district', staleNote: '{list}: behind or silent; figures are as of the last report',
      open: 'Open',
    },
    district: {
      title: '{name} district', companies: 'Member companies', company: 'Company', guards: 'Guards',
      full: 'All four full', gaps: 'Gap guards', rates: 'Four 100%', disputes: 'Disputes', inspections: 'Hazard inspections',
      findingsOpen: 'Open findings', disputesOpen: 'Open disputes', noCompanies: 'No company has compliance figures yet', trend: 'The last 90 days', trendEmpty: 'No daily snapshot yet: one is taken as each day closes at midnight (China time); the first appears after tonight.',
    },
    meetings: {
      title: 'Meetings', new: 'New meeting', none: 'No meetings yet', meeting: 'Meeting', type: 'Type', titleField: 'Title',
      startsAt: 'Starts', endsAt: 'Ends', venue: 'Venue', host: 'Host', create: 'Create', status: 'Status',
      attendance: 'Attendance', invite: 'Invite member companies', chooseCompanies: 'Choose member companies', inviteButton: 'Invite',
      codesOnce: 'The check-in QR codes are shown this once (only their hashes are kept): print them or send them now.', print: 'Print', qrAlt: 'Check-in QR code of {name}',
      invitee: 'Invitee', checkedInAt: 'Checked in',
      types: { district_working: 'District working meeting', district_roundtable: 'District roundtable', council: 'Council', presidents_office: "Presidents' office" },
      statuses: { draft: 'Draft', scheduled: 'Scheduled', in_progress: 'In progress', closed: 'Closed' },
      to: { scheduled: 'Schedule', in_progress: 'Start', closed: 'Close' },
      attendanceStatus: { invited: 'Not checked in', present: 'Present', late: 'Late', absent: 'Absent' },
    },
    agenda: {
      title: 'Agenda', none: 'No agenda items', position: 'No.', kind: 'Kind', itemTitle: 'Item', presenter: 'Presenter', duration: 'Length', durationField: 'Length (minutes)',
      minutes: '{n} min', add: 'Add item', up: 'Up', upLabel: 'Move “{title}” up',
      kinds: { briefing: 'Briefing', speeches: 'Speeches', deployment: 'Work plan', signing: 'Signing', remarks: 'Remarks' },
    },
    minutes: {
      title: 'Minutes', version: 'Version', draft: 'Draft (every entry)', versionLabel: 'Version {n} ({when}, {entries} entries)',
      versionLine: 'Version {n}: published {when}, {entries} entries', unpublished: 'Not published yet', none: 'No entries yet',
      speaker: 'Speaker', speakerRole: 'Position', kind: 'Kind', text: 'Text', state: 'State', publishedIn: 'Version {n}', draftEntry: 'Draft',
      add: 'Record', publish: 'Publish the minutes', edit: 'Edit', editLabel: 'Edit the entry of {speaker}', save: 'Save',
      whenHeld: 'Minutes are taken once the meeting has started', nowSays: 'Someone else changed this entry; it now says “{text}”. Your change is not saved: save again to replace it.',
      kinds: { speech: 'Speech', requirements: 'Requirements', briefing: 'Briefing', deployment: 'Work plan', note: 'Note' },
    },
    resolutions: {
      title: 'Resolutions and action items', adopt: 'Adopt a resolution', none: 'No resolutions', whenHeld: 'Resolutions are adopted once the meeting has started', adoptedAt: 'Adopted {when}',
      titleField: 'Title', text: 'Text', item: 'Action item {n}', addItem: 'Add another action item', submit: 'Adopt', company: 'Member company', ownerName: 'Person or office',
      itemsOf: 'Action items of “{title}”', owners: { district: 'District', company: 'Member company', person: 'Person' },
    },
    patrols: {
      title: 'Patrol plans and live scans', coverage: 'Coverage of the key areas today ({day})', noCoverage: 'No shift today', area: 'Key area', fillRate: 'Fill rate',
      nothingRequired: 'nothing required', gapHours: 'Hours with a gap', uncovered: 'Uncovered', staffedOfRequired: 'Staffed / required', minutesN: '{n} min', minutesOf: '{staffed} / {required} min',
      plans: 'Patrol plans', newPlan: 'New patrol plan', noPlans: 'No patrol plans', plan: 'Plan', window: 'When', shifts: 'Shifts', staffed: 'Staffed / required',
      noShifts: 'No shifts', shiftsOf: 'Shifts of “{name}”', newShift: 'New shift', expected: 'Scans expected', route: 'Route', live: 'Live scans',
      liveOf: 'Live scans of the shift at {when}', liveHelp: 'Refreshed every 3 seconds: a scan shows here as soon as a guard makes it.', guards: 'Guards on the shift', noGuards: 'No guard on this shift yet',
      accepted: 'Accepted scans', tour: 'Tour', complete: 'Complete', incomplete: 'Incomplete', scans: 'Scans', noScans: 'No scans yet', scannedAt: 'Scanned',
      checkpoint: 'Checkpoint', distance: 'Distance', metres: '{n} m', flags: 'Notes', offline: 'uploaded offline', mock: 'mock location', skewed: "phone's clock off",
      missed: 'Missed tours', missedLine: '{guard}: {kind} ({scans} / {expected})', missedKinds: { not_started: 'not started', not_finished: 'not finished' }, required: 'Guards required',
    },
    convention: {
      title: 'The self-discipline convention', nav: 'Convention', version: '“{title}”, version {version}, published {when}', rate: 'Signature rate', signed: 'Signed / member companies', unsigned: 'Member companies yet to sign',
      allSigned: 'Every active member company has signed', signedList: 'Member companies that signed', noneSigned: 'No company has signed yet', contact: 'Contact', phone: 'Phone',
      record: 'Record a signature', recordFor: 'Record the signature of {name}', signedBy: 'Signed by', signedAt: 'Signed',
    },
    visits: {
      title: 'Field visits', policy: 'City-wide rule: every active member company is visited at least once every {n} months.', plan: 'Visit plan progress', period: 'Period', visitedOfPlanned: 'Visited / planned',
      held: 'Visits', onTrack: 'Progress', yes: 'On track', behind: 'Behind', due: 'Companies due a visit', noneDue: 'No company is due a visit', last: 'Last visited', never: 'never',
      dueOn: 'Due', recorded: 'Visits recorded', none: 'No visits yet', on: 'Visited on', by: 'Visited by', findings: 'Findings', followUps: 'Follow-ups',
    },
    checkIn: { done: 'Checked in', failed: 'Check-in failed' },
    company: { gaps: 'Gaps', guards: 'Guards', certificates: 'Certificates', import: 'Import' },
    certificates: {
      expiring: 'Certificates expiring soon', expiringHelp: "Guards on duty whose certificate lapses within the association's warning window (a city-wide policy, 30 days unless set otherwise). Book their renewal now.",
      noneExpiring: 'No certificate lapses within the window', left: 'Left', daysLeft: '{n} days', today: 'lapses today',
      lapsed: 'Guards on duty without a valid certificate', noneLapsed: 'Every guard on duty holds a valid certificate', expiredOn: 'Certificate valid until {day}: lapsed', missing: 'No guard certificate',
    },
    guards: {
      title: 'Guards', hire: 'Hire a guard', none: 'No active guards', name: 'Name', idNumber: 'ID number', certificate: 'Certificate',
      validUntil: 'Certificate valid until', background: 'Background check', actions: 'Actions', leave: 'Leaves', leaveConfirm: 'Record that {name} leaves?',
      exportXlsx: 'Export Excel', exportCsv: 'Export CSV',
      checks: { none: 'Not checked', pending: 'Pending', passed: 'Passed', failed: 'Failed' },
      fields: {
        name: 'Name', id_number: 'ID number', certificate_number: 'Certificate number', certificate_issued_on: 'Issued on',
        certificate_valid_until: 'Valid until', certificate_authority: 'Issuing authority', hired_on: 'Hired on',
      },
    },
    import: {
      help: 'Upload an Excel (.xlsx) or CSV file whose first row is the header (the template\'s Chinese column titles work). The import runs in the background; every row that fails is listed below with its reason.',
      templateXlsx: 'Excel template', templateCsv: 'CSV template', file: 'File', start: 'Import', progress: 'Import progress',
      summary: '{processed} of {total} rows processed: {ok} imported, {failed} failed', report: 'Row report',
      line: 'Line', field: 'Field', message: 'Reason', errorId: 'Error id',
    },
    actions: {
      title: 'Action items', status: 'Status', all: 'All', none: 'No action items', item: 'Item', owner: 'Owner', due: 'Due', overdue: 'Overdue',
      markDone: 'Mark done', accept: 'Accept', reopen: 'Reopen', statuses: { open: 'Open', done: 'Done', accepted: 'Accepted' },
    },
    dispatch: {
      title: 'Police dispatch', raise: 'Raise a request', none: 'No requests', raisedAt: 'Raised', kind: 'Kind', kindHint: 'e.g. dispute, patrol, public order',
      urgency: 'Urgency', status: 'Status', toAccept: 'To accept', toArrive: 'To arrive', toFeedback: 'To feedback', breaches: 'Targets missed',
      setting: 'Area', lat: 'Latitude', lng: 'Longitude', description: 'Description', s: '{n} s', m: '{n} min',
      urgencies: { urgent: 'Urgent', routine: 'Routine' }, settings: { urban: 'Urban', suburban: 'Suburban' },
      statuses: { offered: 'Offered', unassigned: 'Unassigned', accepted: 'Accepted', en_route: 'En route', arrived: 'Arrived', closed: 'Closed' },
      stages: { accept: 'accept', arrive: 'arrive', feedback: 'feedback' },
    },
    ops: {
      title: 'Operations', behind: 'HQ is {n} events behind', lastApplied: 'last applied', parked: '{n} events parked', service: 'Service', alive: 'Heartbeat',
      silentSince: 'silent since {when}', heartbeat: 'Last beat', leader: 'Relay leader', backlog: 'Outbox backlog', oldest: 'Oldest unsent', clock: 'Clock offset',
      version: 'Version', instances: 'Instances', yes: 'yes', no: 'no',
    },
    conflicts: {
      title: 'Cross-district conflicts', help: 'One person employed in two districts, or a credit code or certificate number registered twice.', none: 'No conflicts',
      kind: 'Kind', key: 'Key', districts: 'Districts', records: 'Records',
      kinds: { person: 'One person, two employers', credit_code: 'Credit code twice', certificate_number: 'Certificate number twice' },
    },
    notices: {
      title: 'District notices', companyTitle: 'Notices to your company', none: 'No notices', notice: 'Notice', publishedAt: 'Published', deadline: 'Acknowledge by',
      noAck: 'No acknowledgement', receipt: 'Receipt', urgent: 'Urgent', normal: 'Normal', acknowledge: 'Acknowledge', by: 'Your name', acknowledgedAt: 'Acknowledged {when}',
      publish: 'Publish a notice', titleField: 'Title', body: 'Text', markdown: 'Markdown: **bold**, lists, links', priority: 'Priority',
      ackRequired: 'Companies must acknowledge it', recipients: 'Recipients', read: 'Read', acknowledged: 'Acknowledged',
      statuses: { delivered: 'Unread', read: 'Read', acknowledged: 'Acknowledged' },
    },
    scan: {
      title: 'Patrol scan', notGuard: 'Only a guard account can scan.', tag: 'Checkpoint code', camera: 'Camera', submit: 'Scan',
      accepted: 'Scan recorded ({when})', duplicate: 'This scan was recorded already', offline: 'No network: the scan is kept on the phone and uploaded when the network is back',
      noLocation: 'No location: let the browser use it', waiting: '{n} scans to upload', upload: 'Upload',
      batch: 'Uploaded: {accepted} accepted, {duplicates} duplicates, {rejected} rejected',
    },
    directives: {
      title: 'HQ directives', issue: 'Issue a directive', none: 'No directives', directive: 'Directive', delivery: 'Delivery of “{title}”', delivered: 'Delivered', pending: 'Pending',
      summary: '{delivered} districts delivered, {pending} pending; {acknowledged} of {recipients} companies acknowledged', rate: 'Acknowledged', lastReceipt: 'Last receipt',
    },
    disputes: {
      title: 'Disputes', status: 'Status', none: 'No disputes', kind: 'Kind', parties: 'Parties', reportedAt: 'Reported', responseDue: 'Response due',
      mediationDue: 'Mediation due', late: 'late', escalate: 'escalate', outcome: 'Outcome',
      kinds: { wages: 'Wages', labour_contract: 'Labour contract', client_contract: 'Client contract', injury: 'Injury', other: 'Other' },
      statuses: { reported: 'Reported', mediating: 'Mediating', resolved: 'Resolved', escalated: 'Escalated' },
      steps: { contact: 'Contact', meeting: 'Meeting', note: 'Note', status: 'Status change' },
    },
    inspections: {
      title: 'Hazard inspections', none: 'No inspections', site: 'Site', on: 'Inspected', inspector: 'Inspector', score: 'Score', result: 'Result', findingsOpen: 'Open findings',
      results: { passed: 'Passed', failed: 'Failed' },
    },
    wages: {
      title: 'Wage guarantee', nav: 'Wages', month: 'Month', declare: "Declare the month's wages", none: 'No declarations for the month', status: 'Status',
      paid: 'Paid', notDeclared: 'not declared by the deadline', paidOn: 'paid in full on {day}', owed: '{n} guards short, {amount} yuan owed', guarantee: 'Guarantee',
      deadline: 'Declare by', late: 'late', review: "Union contact's review", confirm: 'Confirm', dispute: 'Dispute', note: 'Note (required to dispute)',
      paidInFull: 'Every guard was paid in full and on time', paidOnField: 'Paid on', guardsAffected: 'Guards not paid in full', amount: 'Owed (yuan)',
      onTime: 'Declared on time', arrears: 'In arrears', declared: 'Declared', missed: 'Missed',
      statuses: { declared: 'Declared', confirmed: 'Confirmed by the union', disputed: 'Disputed by the union', missed: 'Missed' },
      guarantees: { none: 'None', deposit: 'Deposit', insurance: 'Insurance', union_agreement: 'Union agreement' },
    },
    gaps: {
      criterion: 'Criterion', guard: 'Guard', reason: 'Reason', none: 'No gap on this criterion',
      reasons: {
        background_check_none: 'No background check', background_check_pending: 'Background check pending', background_check_failed: 'Background check failed',
        hours_short: '{hours} training hours this year, {required} required', pre_job_missing: 'No pre-job training',
        certificate_missing: 'No guard certificate', certificate_expired: 'Certificate expired on {until}', badge_missing: 'Serves without a badge',
      },
    },
  },
}

// keys lists every dotted key of a message tree, sorted.
export function keys(tree, prefix = '') {
  return Object.entries(tree)
    .flatMap(([k, v]) => (typeof v === 'object' ? keys(v, prefix + k + '.') : [prefix + k]))
    .sort()
}
