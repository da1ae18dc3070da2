import { describe, expect, it } from 'vitest'
import { daysBefore, shanghaiDay, trendSeries } from './trend.js'

describe('trendSeries', () => {
  it('puts each snapshot on its day and leaves the missing days as gaps', () => {
    const { days, series } = trendSeries([
      { day: '2026-11-28', rates: { background_checked: 0.8, trained: 0, certified: 0.9, badge_service: null } },
      { day: '2026-11-30', rates: { background_checked: 0.8155, trained: 0.5, certified: 1, badge_service: 0.7 } },
    ], '2026-11-27', '2026-11-30')
    expect(days).toEqual(['2026-11-27', '2026-11-28', '2026-11-29', '2026-11-30'])
    expect(series.background).toEqual([null, 80, null, 81.6])
    expect(series.training).toEqual([null, 0, null, 50])
    expect(series.badge).toEqual([null, null, null, 70])
  })
  it('crosses a month end and handles no points', () => {
    const { days, series } = trendSeries([], '2026-02-27', '2026-03-01')
    expect(days).toEqual(['2026-02-27', '2026-02-28', '2026-03-01'])
    expect(series.certified).toEqual([null, null, null])
  })
})

describe('days', () => {
  it('takes the Shanghai day of an instant', () => {
    expect(shanghaiDay(new Date('2026-12-01T16:30:00Z'))).toBe('2026-12-02')
    expect(shanghaiDay(new Date('2026-12-01T15:59:00Z'))).toBe('2026-12-01')
  })
  it('counts back across months', () => {
    expect(daysBefore('2026-03-01', 1)).toBe('2026-02-28')
    expect(daysBefore('2026-12-02', 89)).toBe('2026-09-04')
  })
})
