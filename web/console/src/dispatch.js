// A police dispatch request (警保联动) as a team leader works it: which
// offer is the leader's, the step to record next, and how long the stage
// standing now has run against its target. Pure functions: unit-tested in
// dispatch.test.js.

// DEFAULT_TARGETS mirror patrols' policy.DefaultDispatch (pkg/policy/
// dispatch.go), in seconds: only for a request without its own
// `targets` (every answer of the patrols API carries the city's targets in
// force, which the page measures against). The request's `breaches` (the
// API's word) say which targets were actually missed.
export const DEFAULT_TARGETS = {
  urgent: { accept_seconds: 30, arrive_urban_seconds: 300, arrive_suburban_seconds: 600, feedback_seconds: 1800 },
  routine: { accept_seconds: 60, arrive_urban_seconds: 600, arrive_suburban_seconds: 1200, feedback_seconds: 3600 },
}

// OPEN_STATUSES are the requests a leader still has something to do on.
export const OPEN_STATUSES = ['offered', 'unassigned', 'accepted', 'en_route', 'arrived']

// targetsOf is the request's targets per stage, in seconds: accept is
// measured from its offer, arrive (by setting) and feedback from raised.
// The API's own (d.targets, the policy in force) win over the table.
export function targetsOf(d, targets = DEFAULT_TARGETS) {
  if (d && d.targets) {
    return { accept: d.targets.accept_seconds, arrive: d.targets.arrive_seconds, feedback: d.targets.feedback_seconds }
  }
  const t = targets[d && d.urgency === 'urgent' ? 'urgent' : 'routine']
  return {
    accept: t.accept_seconds,
    arrive: d && d.setting === 'suburban' ? t.arrive_suburban_seconds : t.arrive_urban_seconds,
    feedback: t.feedback_seconds,
  }
}

// myOffer is the offer of the request that is the leader's (guard id) to
// accept: the standing one while it is offered to the leader's team; once
// every team lapsed (unassigned), any the leader's team was offered. null
// when the leader may not accept it.
export function myOffer(d, guard) {
  if (!d || !guard) return null
  const offers = d.offers || []
  if (d.status === 'offered') {
    const o = offers[d.offer_index]
    return o && o.leader_guard_id === guard ? o : null
  }
  if (d.status === 'unassigned') return offers.find((o) => o.leader_guard_id === guard) || null
  return null
}

// ownedBy says whether the request was accepted by a team the leader
// leads (its team_id among the offers naming the leader).
export function ownedBy(d, guard) {
  if (!d || !guard || !d.team_id) return false
  return (d.offers || []).some((o) => o.team_id === d.team_id && o.leader_guard_id === guard)
}

// nextSteps are the steps the accepting team's leader may record now
// (patrols' table: en route and arrived after accepting, arrived after en
// route, feedback after arriving, once).
export function nextSteps(d) {
  if (!d) return []
  if (d.status === 'accepted') return ['en_route', 'arrived']
  if (d.status === 'en_route') return ['arrived']
  if (d.status === 'arrived' && !d.feedback_at) return ['feedback']
  return []
}

// stageClock is the stage standing at now ('accept', 'arrive',
// 'feedback', or null once feedback is in or the request closed), the
// seconds it has run (accept: from the standing offer, else from raised),
// its target and whether the target has passed.
export function stageClock(d, now, targets = DEFAULT_TARGETS) {
  if (!d || d.status === 'closed' || d.feedback_at) return null
  const tg = targetsOf(d, targets)
  let stage = 'feedback'
  let from = d.raised_at
  if (d.status === 'offered' || d.status === 'unassigned') {
    stage = 'accept'
    const o = (d.offers || [])[d.offer_index]
    if (d.status === 'offered' && o && o.offered_at) from = o.offered_at
  } else if (!d.arrived_at) {
    stage = 'arrive'
  }
  const start = new Date(from).getTime()
  if (Number.isNaN(start)) return null
  const elapsed = Math.max(0, Math.floor((now.getTime() - start) / 1000))
  return { stage, elapsed, target: tg[stage], over: elapsed > tg[stage] }
}

// stageSeconds is how many whole seconds after raised a step was recorded
// (rounded), or null before it was.
export function stageSeconds(raised, at) {
  if (!raised || !at) return null
  const s = Math.round((new Date(at) - new Date(raised)) / 1000)
  return Number.isNaN(s) ? null : s
}

// formatClock renders seconds as m:ss (h:mm:ss from an hour), the way a
// stopwatch does, in either language.
export function formatClock(seconds) {
  if (seconds === null || seconds === undefined || Number.isNaN(seconds)) return ''
  const s = Math.max(0, Math.floor(seconds))
  const h = Math.floor(s / 3600)
  const m = Math.floor((s % 3600) / 60)
  const ss = String(s % 60).padStart(2, '0')
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${ss}` : `${m}:${ss}`
}
