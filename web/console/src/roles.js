// What the console offers each role. The API's policy tables decide what
// a role may read; this only chooses the pages to link, so a link never
// leads a role to a page the API refuses it.

// HQ_ROLES see the city view: HQ staff, ops and city-wide police.
export function seesCity(me) {
  if (!me) return false
  if (me.role === 'hq-admin' || me.role === 'ops') return true
  return me.role === 'police' && (!me.districts || me.districts.length === 0)
}

// homeOf is the page a role lands on after logging in.
export function homeOf(me) {
  if (!me) return '/login'
  if (seesCity(me)) return '/city'
  if (me.role === 'guard') return '/scan'
  const d = (me.districts && me.districts[0]) || ''
  if (me.role === 'company-admin' && d && me.company) return `/districts/${d}/companies/${me.company}`
  if (d) return `/districts/${d}`
  return '/city'
}

// seesMeetings: the roles that run or supervise a district's meetings
// (a company admin checks in through its invitation's QR code instead).
export function seesMeetings(me) {
  return !!me && ['hq-admin', 'district-admin', 'police'].includes(me.role)
}

// seesConflicts: HQ's cross-district conflicts are HQ staff's.
export function seesConflicts(me) {
  return !!me && me.role === 'hq-admin'
}

// seesOps: the SLA summary, for HQ staff and the ops team.
export function seesOps(me) {
  return !!me && (me.role === 'hq-admin' || me.role === 'ops')
}

// seesActionItems: the district lead, HQ, a company for its own, and
// the police (read-only).
export function seesActionItems(me) {
  return !!me && ['hq-admin', 'district-admin', 'company-admin', 'police'].includes(me.role)
}

// movesActionItems: who may mark an item done, accept or reopen it
// (meetings' policy: not the police, who only read them).
export function movesActionItems(me) {
  return !!me && ['hq-admin', 'district-admin', 'company-admin'].includes(me.role)
}

// seesDirectives: HQ's directives and their delivery: HQ issues them,
// the police read them (messaging's policy).
export function seesDirectives(me) {
  return !!me && ['hq-admin', 'police'].includes(me.role)
}

// issuesDirectives: only HQ staff issue a directive.
export function issuesDirectives(me) {
  return !!me && me.role === 'hq-admin'
}

// seesDistrictOversight: the district's disputes, hazard inspections and
// wage declarations, linked in the nav for the police (a district lead
// reaches them from the district page too).
export function seesDistrictOversight(me) {
  return !!me && me.role === 'police'
}

// seesDispatches: the police who raise them, the district lead and HQ.
export function seesDispatches(me) {
  return !!me && ['hq-admin', 'district-admin', 'police'].includes(me.role)
}

// seesTeam: a guard's team page (the team notices and, for a team's
// leader, the police dispatch offered to the team): guards alone.
export function seesTeam(me) {
  return !!me && me.role === 'guard' && !!me.guard
}

// seesNotices: who publishes a district's notices and follows their
// receipts (a company reads its own under its company).
export function seesNotices(me) {
  return !!me && ['district-admin', 'police'].includes(me.role)
}

// canEditMeetings: who runs a district's meetings (agenda, invitations,
// minutes, resolutions); police and companies only read them.
export function canEditMeetings(me) {
  return !!me && ['hq-admin', 'district-admin'].includes(me.role)
}

// seesPatrols: a district's patrol plans, coverage and live scans: the
// lead who plans them, HQ, and the police who oversee them.
export function seesPatrols(me) {
  return !!me && ['hq-admin', 'district-admin', 'police'].includes(me.role)
}

// canEditPatrols: who plans patrols (patrols' policy: plans and shifts
// are HQ's and the district lead's to create).
export function canEditPatrols(me) {
  return !!me && ['hq-admin', 'district-admin'].includes(me.role)
}

// seesFieldwork: the field visits and the practical-services plan's
// progress (meetings' supervisors: HQ, the district lead, the police).
export function seesFieldwork(me) {
  return !!me && ['hq-admin', 'district-admin', 'police'].includes(me.role)
}

// runsFieldwork: who records a field visit and runs the practical-services
// plan (creates items, marks milestones, records beneficiaries): meetings'
// admins, HQ and the district lead.
export function runsFieldwork(me) {
  return !!me && ['hq-admin', 'district-admin'].includes(me.role)
}

// givesFeedback: a beneficiary company's own admin alone rates an item
// (not HQ, not the lead: meetings' give_feedback row).
export function givesFeedback(me) {
  return !!me && me.role === 'company-admin' && !!me.company
}

// postsAid: who posts a mutual-aid request and writes a publicity post
// (messaging's requesters: the district lead and the district's
// company-admins; not HQ, not the police).
export function postsAid(me) {
  return !!me && ['district-admin', 'company-admin'].includes(me.role)
}

// offersAid: an offer is a company's own word, through its company-admin.
export function offersAid(me) {
  return !!me && me.role === 'company-admin' && !!me.company
}

// editsPost: who edits (and so resubmits) a publicity post: the post's own
// company, through its company-admin, or the district lead for the lead's
// post (messaging's publicity.edit_forbidden otherwise).
export function editsPost(me, post) {
  if (!me || !post) return false
  if (post.company_id) return me.role === 'company-admin' && me.company === post.company_id
  return me.role === 'district-admin'
}

// decidesAid: who accepts an offer for a request: the district lead, or
// the requesting company's admin (messaging's decides).
export function decidesAid(me, request) {
  if (!me || !request) return false
  if (me.role === 'district-admin') return true
  return me.role === 'company-admin' && !!me.company && me.company === request.requester_company_id
}

// seesAidStats: a district's aid statistics (messaging's overseers).
export function seesAidStats(me) {
  return !!me && ['hq-admin', 'district-admin', 'police'].includes(me.role)
}

// reviewsPublicity: the district's review of a post is the lead's alone.
export function reviewsPublicity(me) {
  return !!me && me.role === 'district-admin'
}

// seesHQPublicity: HQ's review queue, the city's feed and the city's aid
// statistics (messaging's hqReaders: HQ staff and the city-wide police).
export function seesHQPublicity(me) {
  if (!me) return false
  return me.role === 'hq-admin' || (me.role === 'police' && (!me.districts || me.districts.length === 0))
}

// publishesPublicity: HQ's review, which publishes a post city-wide, is
// HQ staff's alone (the city-wide police read the queue).
export function publishesPublicity(me) {
  return !!me && me.role === 'hq-admin'
}
