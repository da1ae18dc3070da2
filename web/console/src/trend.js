import { FOUR_RATES } from './format.js'

// trendSeries lays compliance's closing snapshots (items of GET
// …/compliance/trend: {day, rates}) on every day from `from` to `to`
// (YYYY-MM-DD, inclusive): a day without a snapshot — the service did not
// run, or it was before the first — is null, a gap in the line, never 0.
// Rates become percentages with one decimal.
export function trendSeries(points, from, to) {
  const byDay = new Map((points || []).map((p) => [p.day, p]))
  const days = []
  for (let d = new Date(from + 'T00:00:00Z'); d <= new Date(to + 'T00:00:00Z'); d.setUTCDate(d.getUTCDate() + 1)) {
    days.push(d.toISOString().slice(0, 10))
  }
  const series = Object.fromEntries(FOUR_RATES.map((r) => [r.key, days.map((day) => {
    const p = byDay.get(day)
    const v = p && p.rates ? p.rates[r.score] : null
    return v === null || v === undefined ? null : Math.round(v * 1000) / 10
  })]))
  return { days, series }
}

// shanghaiDay is the Asia/Shanghai calendar day of an instant.
export function shanghaiDay(date) {
  return new Intl.DateTimeFormat('en-CA', { timeZone: 'Asia/Shanghai', year: 'numeric', month: '2-digit', day: '2-digit' }).format(date)
}

// daysBefore is the day n days before day (YYYY-MM-DD).
export function daysBefore(day, n) {
  const d = new Date(day + 'T00:00:00Z')
  d.setUTCDate(d.getUTCDate() - n)
  return d.toISOString().slice(0, 10)
}
