import { describe, expect, it } from 'vitest'
import { assignable, planInput, shiftInput } from './patrolplan.js'

describe('planInput', () => {
  it('sends the window as instants in Shanghai', () => {
    expect(planInput({ name: ' 元旦商圈巡逻 ', area_id: 'a1', start_day: '2026-12-31', start_time: '00:00', end_day: '2027-01-02', end_time: '23:59' })).toEqual({
      name: '元旦商圈巡逻', area_id: 'a1', starts_at: '2026-12-31T00:00:00+08:00', ends_at: '2027-01-02T23:59:00+08:00',
    })
  })
  it('sends a missing day as blank for the API to name', () => {
    expect(planInput({ name: 'p', area_id: 'a1', start_day: '', start_time: '08:00', end_day: '2027-01-02', end_time: '25:00' })).toMatchObject({ starts_at: '', ends_at: '' })
  })
})

describe('shiftInput', () => {
  it('sends numbers, and a night shift over midnight', () => {
    expect(shiftInput({ start_day: '2026-12-31', start_time: '20:00', end_day: '2027-01-01', end_time: '02:00', required: '2', expected_scans: '3', route: ['c1', 'c2'] })).toEqual({
      starts_at: '2026-12-31T20:00:00+08:00', ends_at: '2027-01-01T02:00:00+08:00', required: 2, expected_scans: 3, route: ['c1', 'c2'],
    })
  })
  it('leaves blank expected scans out and sends a blank headcount as 0', () => {
    const body = shiftInput({ start_day: '2026-12-31', start_time: '08:00', end_day: '2026-12-31', end_time: '12:00', required: '', expected_scans: ' ' })
    expect(body.required).toBe(0)
    expect('expected_scans' in body).toBe(false)
    expect(body.route).toEqual([])
  })
})

describe('assignable', () => {
  const teams = [
    { id: 't2', name: '沌口义警队', leader_guard_id: 'g9', members: [{ guard_id: 'g5', status: 'active' }, { guard_id: 'g9', status: 'active' }] },
    { id: 't1', name: '经开义警队', leader_guard_id: 'g1', members: [{ guard_id: 'g1', status: 'active' }, { guard_id: 'g2', status: 'suspended' }, { guard_id: 'g3', status: 'active' }, { guard_id: 'g5', status: 'active' }] },
  ]
  it('lists the active members not on the shift, leaders first, each once', () => {
    const got = assignable(teams, { guard_ids: ['g3'] })
    expect(got.map((m) => m.guard_id)).toEqual(['g9', 'g1', 'g5'])
    expect(got[0]).toEqual({ guard_id: 'g9', team_id: 't2', team_name: '沌口义警队', leader: true })
    // g5 serves with the first team listed.
    expect(got[2].team_id).toBe('t2')
  })
  it('lists nobody without teams', () => {
    expect(assignable([], {})).toEqual([])
    expect(assignable(undefined, null)).toEqual([])
  })
})
