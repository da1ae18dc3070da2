// Formatting shared by every page. Pure functions: unit-tested in
// format.test.js. Every date and time is shown in Asia/Shanghai, whatever
// the browser's own zone, because that is where the association works and
// what its documents say.

export const TIME_ZONE = 'Asia/Shanghai'

// intlLocale maps the console's locale to the one Intl formats with. en-GB
// rather than en-US: day before month reads the same way as the Chinese.
export function intlLocale(locale) {
  return locale === 'en' ? 'en-GB' : 'zh-CN'
}

// formatRate renders a ratio in [0, 1] as a percentage with one decimal.
// A missing value (null or undefined: the API's "not reported" or "no
// denominator") returns null, so a caller can never show it as 0 %.
export function formatRate(value) {
  if (value === null || value === undefined || Number.isNaN(value)) return null
  return (Math.round(value * 1000) / 10).toFixed(1) + '%'
}

// formatCount renders an integer with the locale's grouping.
export function formatCount(value, locale) {
  if (value === null || value === undefined) return null
  return new Intl.NumberFormat(intlLocale(locale)).format(value)
}

// formatDateTime renders an RFC 3339 instant as a date and minute in
// Asia/Shanghai, or null for a missing or unparsable one.
export function formatDateTime(iso, locale) {
  if (!iso) return null
  const d = new Date(iso)
  if (Number.isNaN(d.getTime())) return null
  return new Intl.DateTimeFormat(intlLocale(locale), {
    timeZone: TIME_ZONE, year: 'numeric', month: '2-digit', day: '2-digit',
    hour: '2-digit', minute: '2-digit', hourCycle: 'h23',
  }).format(d)
}

// formatDay renders a calendar day (YYYY-MM-DD, already a Shanghai day in
// the API) without moving it through a time zone.
export function formatDay(day, locale) {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day || '')
  if (!m) return null
  if (locale === 'en') {
    const d = new Date(Date.UTC(+m[1], +m[2] - 1, +m[3]))
    return new Intl.DateTimeFormat('en-GB', { timeZone: 'UTC', day: 'numeric', month: 'short', year: 'numeric' }).format(d)
  }
  return `${+m[1]}年${+m[2]}月${+m[3]}日`
}

// formatAgo renders how long before now an instant was ("3 minutes ago",
// "3 分钟前"), or null for a missing one.
export function formatAgo(iso, now, locale) {
  if (!iso) return null
  const t = new Date(iso).getTime()
  if (Number.isNaN(t)) return null
  const s = Math.round((t - now.getTime()) / 1000)
  const rtf = new Intl.RelativeTimeFormat(intlLocale(locale), { numeric: 'auto' })
  const a = Math.abs(s)
  if (a < 60) return rtf.format(s, 'second')
  if (a < 3600) return rtf.format(Math.round(s / 60), 'minute')
  if (a < 86400) return rtf.format(Math.round(s / 3600), 'hour')
  return rtf.format(Math.round(s / 86400), 'day')
}

// DISTRICT_STATUSES are HQ's statuses of a district (the API's
// DistrictView.status), each with the tag type the console shows it in.
export const DISTRICT_STATUSES = {
  ok: 'success',
  behind: 'warning',
  silent: 'danger',
  not_reported: 'info',
  deregistered: 'info',
}

// districtStatus returns the status to show for a district view: the
// API's, or not_reported for one the API leaves out (an older HQ).
export function districtStatus(view) {
  const s = view && view.status
  return s && s in DISTRICT_STATUSES ? s : 'not_reported'
}

// FOUR_RATES are the four 100% (四个100%) in the order the association
// reports them, each with the key of its rate in HQ's district view and in
// compliance's company score.
export const FOUR_RATES = [
  { key: 'background', hq: 'background_check_rate', score: 'background_checked', criterion: 'background_check' },
  { key: 'training', hq: 'training_rate', score: 'trained', criterion: 'training' },
  { key: 'certified', hq: 'certified_rate', score: 'certified', criterion: 'certificate' },
  { key: 'badge', hq: 'badge_rate', score: 'badge_service', criterion: 'badge' },
]

// fourRates reads the four rates of compliance's scoreboard out of an HQ
// district view: the compliance figures when compliance has reported, else
// nulls (never membership's counts passed off as compliance's).
export function fourRates(view) {
  const fh = view && view.compliance && view.compliance.reported && view.compliance.four_hundred
  return FOUR_RATES.map((r) => ({ key: r.key, value: fh && fh.reported ? fh[r.hq] ?? null : null }))
}

// shanghaiToday is the calendar day (YYYY-MM-DD) it is now in Asia/Shanghai.
export function shanghaiToday(now = new Date()) {
  // en-CA formats a date as YYYY-MM-DD.
  return new Intl.DateTimeFormat('en-CA', { timeZone: TIME_ZONE, year: 'numeric', month: '2-digit', day: '2-digit' }).format(now)
}

// daysUntil counts the calendar days from today in Asia/Shanghai to day
// (YYYY-MM-DD): 0 on the day itself, negative once it has passed, null for
// a missing day. Days, not hours, because a certificate is valid through
// its last day wherever the browser is.
export function daysUntil(day, now = new Date()) {
  const m = /^(\d{4})-(\d{2})-(\d{2})$/.exec(day || '')
  if (!m) return null
  const [y, mo, d] = shanghaiToday(now).split('-').map(Number)
  return Math.round((Date.UTC(+m[1], +m[2] - 1, +m[3]) - Date.UTC(y, mo - 1, d)) / 86400000)
}
