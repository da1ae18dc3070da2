// What the patrol-planning forms compute: a plan's and a shift's window as
// instants from days and times on the clock in Asia/Shanghai (the
// browser's own zone never moves the hour), and the team members a shift
// may be given. Pure functions: unit-tested in patrolplan.test.js.
import { shanghaiInstant } from './fieldwork.js'

// planInput is the body of create_plan: a malformed day or time is sent as
// '' so the API's own error names the field.
export function planInput(form) {
  return {
    name: (form.name || '').trim(), area_id: form.area_id || '',
    starts_at: shanghaiInstant(form.start_day, form.start_time) || '', ends_at: shanghaiInstant(form.end_day, form.end_time) || '',
  }
}

// shiftInput is the body of create_shift: the headcount and the scans
// expected as numbers (blank scans left out: the API counts the route).
export function shiftInput(form) {
  const body = {
    starts_at: shanghaiInstant(form.start_day, form.start_time) || '', ends_at: shanghaiInstant(form.end_day, form.end_time) || '',
    required: Number(form.required) || 0, route: form.route || [],
  }
  const scans = String(form.expected_scans ?? '').trim()
  if (scans !== '') body.expected_scans = Number(scans)
  return body
}

// assignable is the choice of guards for a shift: every active member of
// the district's teams (teams read with their members) not on the shift
// already, once each (the first team listed), the teams' leaders first,
// then in the teams' order (the API's) and by guard id, so the list reads
// the same on every load and in every browser.
export function assignable(teams, shift) {
  const on = new Set((shift && shift.guard_ids) || [])
  const seen = new Set()
  const out = []
  ;(teams || []).forEach((team, order) => {
    for (const m of team.members || []) {
      if (m.status !== 'active' || on.has(m.guard_id) || seen.has(m.guard_id)) continue
      seen.add(m.guard_id)
      out.push({ guard_id: m.guard_id, team_id: team.id, team_name: team.name, leader: m.guard_id === team.leader_guard_id, order })
    }
  })
  const byId = (a, b) => (a.guard_id < b.guard_id ? -1 : a.guard_id > b.guard_id ? 1 : 0)
  return out.sort((a, b) => (b.leader - a.leader) || (a.order - b.order) || byId(a, b)).map(({ order, ...m }) => m)
}
