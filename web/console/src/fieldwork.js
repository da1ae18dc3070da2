// What the fieldwork, mutual-aid and publicity pages compute: the request
// bodies their forms send (empty rows dropped, numbers as numbers), the
// error shown beside a field, instants from a Shanghai day and time, and
// the figures they render. Pure functions: unit-tested in fieldwork.test.js.

// fieldError is the API error's message when it names one of fields (the
// form shows it beside that field), or '' otherwise.
export function fieldError(error, ...fields) {
  return error && error.field && fields.includes(error.field) ? error.message : ''
}

// shanghaiInstant is the RFC 3339 instant of a day (YYYY-MM-DD) and a time
// (HH:MM) on the clock in Asia/Shanghai (UTC+8, no daylight saving), or
// null when either is missing or malformed, so the API's own error names
// the field instead of the browser's zone moving the hour.
export function shanghaiInstant(day, time) {
  const d = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day || '')
  const t = /^([01]?\d|2[0-3]):([0-5]\d)$/.exec((time || '').trim())
  if (!d || !t) return null
  return `${d[1]}-${d[2]}-${d[3]}T${t[1].padStart(2, '0')}:${t[2]}:00+08:00`
}

// keptRows is the index in rows of each row keep accepts, in order: the
// map from a position in the request's array (the index an API error names,
// as in follow_ups[1].due_on) back to the form's row, since the form drops
// blank rows before sending.
export function keptRows(rows, keep) {
  const kept = []
  ;(rows || []).forEach((r, i) => { if (keep(r)) kept.push(i) })
  return kept
}

// rowFieldError is the API error's message when it names sub of the row of
// list that the form shows at formIndex (error.field list[<n>].sub, n an
// index in the request: sent maps it back, see keptRows), or '' otherwise.
export function rowFieldError(error, list, sub, sent, formIndex) {
  const m = error && typeof error.field === 'string' && /^([a-z_]+)\[(\d+)\]\.([a-z_]+)$/.exec(error.field)
  if (!m || m[1] !== list || m[3] !== sub) return ''
  return (sent || [])[Number(m[2])] === formIndex ? error.message : ''
}

// followUpKept says whether a follow-up row is sent: one with a title.
export const followUpKept = (f) => !!(f.title || '').trim()

// visitInput is the body of POST /field-visits from the form: visitors
// without a name, points without an area or rating and follow-ups without
// a title are left out (blank rows the user added and did not fill).
export function visitInput(form) {
  const s = (v) => (v || '').trim()
  return {
    company_id: form.company_id || '',
    visited_on: form.visited_on || '',
    visited_by: (form.visited_by || []).filter((v) => s(v.name)).map((v) => ({ name: s(v.name), role: s(v.role) })),
    findings: form.findings || '',
    points: (form.points || []).filter((p) => p.area && p.rating).map((p) => ({ area: p.area, rating: p.rating, flagged: !!p.flagged, note: s(p.note) })),
    follow_ups: (form.follow_ups || []).filter(followUpKept).map((f) => ({ title: s(f.title), due_on: f.due_on || '' })),
  }
}

// serviceItemInput is the body of POST /service-plan/items: the target a
// number (a blank one 0, which the API refuses with target_count_invalid),
// milestones without a title left out.
export function serviceItemInput(form) {
  const s = (v) => (v || '').trim()
  const n = s(String(form.target_count ?? ''))
  return {
    term: s(form.term), kind: form.kind || '', title: s(form.title), description: form.description || '', owner: s(form.owner),
    target_count: n === '' ? 0 : Number(n), target_unit: form.target_unit || '',
    milestones: (form.milestones || []).filter((m) => s(m.title)).map((m) => ({ title: s(m.title), due_on: m.due_on || '' })),
  }
}

// milestoneState is done (a done_on), overdue (its due day before today,
// both Shanghai days) or pending.
export function milestoneState(m, today) {
  if (m.done_on) return 'done'
  return m.due_on && m.due_on < today ? 'overdue' : 'pending'
}

// milestonesDone counts an item's milestones done, as "done / all".
export function milestonesDone(item) {
  const ms = (item && item.milestones) || []
  return `${ms.filter((m) => m.done_on).length} / ${ms.length}`
}

// formatRating renders an average rating (1–5) with one decimal, or null
// when the API says null (no feedback yet: not reported, never 0).
export function formatRating(v) {
  if (v === null || v === undefined || Number.isNaN(v)) return null
  return (Math.round(v * 10) / 10).toFixed(1)
}

// aidStillNeeded is how many guards a request still needs: its headcount
// less those accepted (the API's AidRequest.Remaining; offers not yet
// accepted do not count).
export function aidStillNeeded(r) {
  return Math.max(0, (r.headcount || 0) - (r.accepted || 0))
}

// formatSeconds renders a mean duration in seconds as seconds under a
// minute, minutes under an hour, else hours (one decimal), or null when
// the API has none to average.
export function formatSeconds(s, t) {
  if (s === null || s === undefined) return null
  if (s < 59.5) return t('aid.seconds', { n: Math.round(s) })
  if (s < 3600) return t('aid.minutes', { n: Math.round(s / 60) })
  return t('aid.hours', { n: (Math.round(s / 360) / 10).toFixed(1) })
}
