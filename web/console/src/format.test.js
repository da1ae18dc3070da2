import { describe, expect, it } from 'vitest'
import { districtStatus, formatAgo, formatDateTime, formatDay, formatRate, fourRates, daysUntil, shanghaiToday } from './format.js'

describe('formatRate', () => {
  it('renders a ratio as a percentage with one decimal', () => {
    expect(formatRate(0.8152327221438646)).toBe('81.5%')
    expect(formatRate(1)).toBe('100.0%')
    expect(formatRate(0.0005)).toBe('0.1%')
  })
  it('keeps 0 as 0 and never turns a missing rate into 0', () => {
    expect(formatRate(0)).toBe('0.0%')
    expect(formatRate(null)).toBeNull()
    expect(formatRate(undefined)).toBeNull()
    expect(formatRate(NaN)).toBeNull()
  })
})

describe('dates in Asia/Shanghai', () => {
  // 16:30 UTC on 1 December is half past midnight on 2 December in Wuhan.
  const iso = '2026-12-01T16:30:00Z'
  it('shows the Shanghai day and time whatever the browser zone', () => {
    expect(formatDateTime(iso, 'zh-CN')).toBe('2026/12/02 00:30')
    expect(formatDateTime(iso, 'en')).toBe('02/12/2026, 00:30')
  })
  it('returns null for a missing or broken instant', () => {
    expect(formatDateTime(null, 'zh-CN')).toBeNull()
    expect(formatDateTime('yesterday', 'en')).toBeNull()
  })
  it('renders a calendar day without moving it through a zone', () => {
    expect(formatDay('2029-04-30', 'zh-CN')).toBe('2029年4月30日')
    expect(formatDay('2029-04-30', 'en')).toBe('30 Apr 2029')
    expect(formatDay('30/04/2029', 'en')).toBeNull()
  })
  it('says how long ago, in the locale', () => {
    const now = new Date('2026-12-02T10:00:00Z')
    expect(formatAgo('2026-12-02T09:57:00Z', now, 'en')).toBe('3 minutes ago')
    expect(formatAgo('2026-12-02T09:57:00Z', now, 'zh-CN')).toBe('3分钟前')
    expect(formatAgo('2026-11-30T10:00:00Z', now, 'en')).toBe('2 days ago')
    expect(formatAgo(null, now, 'en')).toBeNull()
  })
})

describe('districtStatus', () => {
  it('passes HQ statuses through and treats an unknown one as not reported', () => {
    expect(districtStatus({ status: 'silent' })).toBe('silent')
    expect(districtStatus({ status: 'behind' })).toBe('behind')
    expect(districtStatus({ status: 'exploded' })).toBe('not_reported')
    expect(districtStatus({})).toBe('not_reported')
    expect(districtStatus(null)).toBe('not_reported')
  })
})

describe('fourRates', () => {
  const view = (compliance) => ({ background_check_rate: 0.9, compliance })
  it('reads compliance figures, in the association order', () => {
    const rates = fourRates(view({
      reported: true,
      four_hundred: { reported: true, background_check_rate: 0.5, training_rate: 0, certified_rate: 1, badge_rate: null },
    }))
    expect(rates).toEqual([
      { key: 'background', value: 0.5 }, { key: 'training', value: 0 }, { key: 'certified', value: 1 }, { key: 'badge', value: null },
    ])
  })
  it('is all null when compliance has not reported, never membership counts passed off as compliance', () => {
    expect(fourRates(view({ reported: false })).map((r) => r.value)).toEqual([null, null, null, null])
    expect(fourRates(view({ reported: true, four_hundred: { reported: false, background_check_rate: 0.4 } })).map((r) => r.value)).toEqual([null, null, null, null])
    expect(fourRates(undefined).map((r) => r.value)).toEqual([null, null, null, null])
  })
})

describe('daysUntil', () => {
  // 2026-12-02 17:30 UTC is already 2026-12-03 01:30 in Shanghai.
  const now = new Date('2026-12-02T17:30:00Z')
  it('counts from the Shanghai day, not the UTC one', () => {
    expect(shanghaiToday(now)).toBe('2026-12-03')
    expect(daysUntil('2026-12-03', now)).toBe(0)
    expect(daysUntil('2026-12-13', now)).toBe(10)
    expect(daysUntil('2026-12-02', now)).toBe(-1)
  })
  it('crosses months and years by the calendar', () => {
    expect(daysUntil('2027-01-02', now)).toBe(30)
    expect(daysUntil('2027-03-03', now)).toBe(90)
  })
  it('is null for a missing day', () => {
    expect(daysUntil('', now)).toBe(null)
    expect(daysUntil(undefined, now)).toBe(null)
  })
})
