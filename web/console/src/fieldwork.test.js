import { describe, expect, it } from 'vitest'
import { aidStillNeeded, fieldError, followUpKept, formatRating, formatSeconds, keptRows, milestoneState, milestonesDone, rowFieldError, serviceItemInput, shanghaiInstant, visitInput } from './fieldwork.js'

describe('fieldError', () => {
  const e = { id: 'field_visit.visited_on_invalid', field: 'visited_on', message: 'visited_on must be a date' }
  it('shows the message beside the field the API names', () => {
    expect(fieldError(e, 'visited_on')).toBe('visited_on must be a date')
    expect(fieldError(e, 'company_id', 'visited_on')).toBe('visited_on must be a date')
  })
  it('shows nothing beside another field, or without an error', () => {
    expect(fieldError(e, 'visited_by')).toBe('')
    expect(fieldError({ id: 'x', field: '', message: 'm' }, '')).toBe('')
    expect(fieldError(null, 'visited_on')).toBe('')
  })
})

describe('shanghaiInstant', () => {
  it('is the time on the clock in Shanghai, whatever the browser zone', () => {
    expect(shanghaiInstant('2026-12-04', '08:00')).toBe('2026-12-04T08:00:00+08:00')
    expect(new Date(shanghaiInstant('2026-12-04', '7:30')).toISOString()).toBe('2026-12-03T23:30:00.000Z')
    expect(shanghaiInstant('2026-12-04', '23:59')).toBe('2026-12-04T23:59:00+08:00')
  })
  it('is null for a missing or malformed day or time', () => {
    expect(shanghaiInstant('', '08:00')).toBeNull()
    expect(shanghaiInstant('2026-12-04', '')).toBeNull()
    expect(shanghaiInstant('2026-12-04', '24:00')).toBeNull()
    expect(shanghaiInstant('2026-12-04', '08:60')).toBeNull()
    expect(shanghaiInstant('4/12/2026', '08:00')).toBeNull()
  })
})

describe('visitInput', () => {
  it('drops the blank rows and trims', () => {
    const body = visitInput({
      company_id: 'c1', visited_on: '2026-12-03', findings: '工会未建立',
      visited_by: [{ name: ' 王五 ', role: '副会长' }, { name: '  ', role: '秘书' }],
      points: [{ area: 'party_union', rating: 'poor', flagged: true, note: ' 无工会 ' }, { area: 'training', rating: '' }],
      follow_ups: [{ title: '建立工会', due_on: '2027-01-03' }, { title: '', due_on: '2027-02-01' }],
    })
    expect(body).toEqual({
      company_id: 'c1', visited_on: '2026-12-03', findings: '工会未建立',
      visited_by: [{ name: '王五', role: '副会长' }],
      points: [{ area: 'party_union', rating: 'poor', flagged: true, note: '无工会' }],
      follow_ups: [{ title: '建立工会', due_on: '2027-01-03' }],
    })
  })
  it('sends an empty list rather than nothing, so the API names the field', () => {
    expect(visitInput({}).visited_by).toEqual([])
    expect(visitInput({ points: [{ area: 'risks', rating: 'fair' }] }).points).toEqual([{ area: 'risks', rating: 'fair', flagged: false, note: '' }])
  })
})

describe('rowFieldError', () => {
  // The form has a blank row between two filled ones: the API sees two.
  const rows = [{ title: '建立工会', due_on: '2027-01-03' }, { title: ' ', due_on: '' }, { title: '补齐复训', due_on: '2099-01-01' }]
  const sent = keptRows(rows, followUpKept)
  const e = { id: 'field_visit.follow_up_due_on_invalid', field: 'follow_ups[1].due_on', message: 'due_on must be a date' }
  it('maps the request index back to the form row', () => {
    expect(sent).toEqual([0, 2])
    expect(visitInput({ follow_ups: rows }).follow_ups.map((f) => f.title)).toEqual(['建立工会', '补齐复训'])
    expect(rowFieldError(e, 'follow_ups', 'due_on', sent, 2)).toBe('due_on must be a date')
    expect(rowFieldError(e, 'follow_ups', 'due_on', sent, 1)).toBe('')
    expect(rowFieldError(e, 'follow_ups', 'due_on', sent, 0)).toBe('')
  })
  it('shows nothing for another list, field, or no row index', () => {
    expect(rowFieldError(e, 'milestones', 'due_on', sent, 2)).toBe('')
    expect(rowFieldError(e, 'follow_ups', 'title', sent, 2)).toBe('')
    expect(rowFieldError({ ...e, field: 'follow_ups' }, 'follow_ups', 'due_on', sent, 0)).toBe('')
    expect(rowFieldError({ ...e, field: 'follow_ups[7].due_on' }, 'follow_ups', 'due_on', sent, 0)).toBe('')
    expect(rowFieldError(null, 'follow_ups', 'due_on', sent, 0)).toBe('')
  })
})

describe('serviceItemInput', () => {
  it('sends the target as a number and the milestones with a title', () => {
    const body = serviceItemInput({ term: ' 2025-2028 ', kind: 'legal', title: '法律咨询', owner: '秘书处', target_count: '12', target_unit: 'companies',
      milestones: [{ title: '签约律所', due_on: '2027-01-31' }, { title: ' ', due_on: '' }] })
    expect(body).toEqual({ term: '2025-2028', kind: 'legal', title: '法律咨询', description: '', owner: '秘书处', target_count: 12, target_unit: 'companies',
      milestones: [{ title: '签约律所', due_on: '2027-01-31' }] })
  })
  it('sends a blank target as 0 for the API to refuse', () => {
    expect(serviceItemInput({ target_count: '' }).target_count).toBe(0)
    expect(serviceItemInput({}).target_count).toBe(0)
  })
})

describe('milestones', () => {
  it('is done, overdue or pending against the Shanghai day', () => {
    expect(milestoneState({ due_on: '2026-12-01', done_on: '2026-12-02' }, '2026-12-03')).toBe('done')
    expect(milestoneState({ due_on: '2026-12-02' }, '2026-12-03')).toBe('overdue')
    expect(milestoneState({ due_on: '2026-12-03' }, '2026-12-03')).toBe('pending')
  })
  it('counts those done', () => {
    expect(milestonesDone({ milestones: [{ done_on: '2026-12-01' }, {}, { done_on: '' }] })).toBe('1 / 3')
    expect(milestonesDone({})).toBe('0 / 0')
  })
})

describe('figures', () => {
  it('renders a rating with one decimal, and null as not reported', () => {
    expect(formatRating(4)).toBe('4.0')
    expect(formatRating(3.666)).toBe('3.7')
    expect(formatRating(null)).toBeNull()
    expect(formatRating(undefined)).toBeNull()
  })
  it('counts what a request still needs from what was accepted', () => {
    expect(aidStillNeeded({ headcount: 5, accepted: 2, offered: 5 })).toBe(3)
    expect(aidStillNeeded({ headcount: 5, accepted: 6 })).toBe(0)
  })
  it('renders a mean duration in minutes under an hour, else hours', () => {
    const t = (k, p) => `${k}:${p.n}`
    expect(formatSeconds(4.4, t)).toBe('aid.seconds:4')
    expect(formatSeconds(0, t)).toBe('aid.seconds:0')
    expect(formatSeconds(90, t)).toBe('aid.minutes:2')
    expect(formatSeconds(3599, t)).toBe('aid.minutes:60')
    expect(formatSeconds(5400, t)).toBe('aid.hours:1.5')
    expect(formatSeconds(null, t)).toBeNull()
  })
})
