import { describe, expect, it } from 'vitest'
import { formatClock, myOffer, nextSteps, ownedBy, stageClock, stageSeconds, targetsOf } from './dispatch.js'

const raised = '2026-12-03T04:00:00Z'
const at = (s) => new Date(Date.parse(raised) + s * 1000)
const offers = [
  { team_id: 'T1', leader_guard_id: 'G1', offered_at: raised, distance_m: 10 },
  { team_id: 'T2', leader_guard_id: 'G2', offered_at: '2026-12-03T04:00:30Z', distance_m: 90 },
]

describe('targetsOf', () => {
  it('takes the urgency and, for arrival, the setting', () => {
    expect(targetsOf({ urgency: 'urgent', setting: 'urban' })).toEqual({ accept: 30, arrive: 300, feedback: 1800 })
    expect(targetsOf({ urgency: 'urgent', setting: 'suburban' }).arrive).toBe(600)
    expect(targetsOf({ urgency: 'routine', setting: 'urban' })).toEqual({ accept: 60, arrive: 600, feedback: 3600 })
  })
  it("prefers the API's targets in force over the table", () => {
    const d = { urgency: 'routine', setting: 'urban', targets: { accept_seconds: 1, arrive_seconds: 900, feedback_seconds: 7200 } }
    expect(targetsOf(d)).toEqual({ accept: 1, arrive: 900, feedback: 7200 })
    expect(stageClock({ ...d, status: 'offered', offer_index: 0, offers: [{ offered_at: '2026-10-01T01:00:00Z' }] },
      new Date('2026-10-01T01:00:05Z'))).toEqual({ stage: 'accept', elapsed: 5, target: 1, over: true })
  })
})

describe('myOffer', () => {
  it('is the standing offer only when it names the leader', () => {
    expect(myOffer({ status: 'offered', offer_index: 0, offers }, 'G1')).toBe(offers[0])
    expect(myOffer({ status: 'offered', offer_index: 1, offers }, 'G1')).toBeNull()
    expect(myOffer({ status: 'offered', offer_index: 1, offers }, 'G2')).toBe(offers[1])
  })
  it('is any offer of the leader once every team lapsed, none after someone accepted', () => {
    expect(myOffer({ status: 'unassigned', offer_index: 2, offers }, 'G1')).toBe(offers[0])
    expect(myOffer({ status: 'unassigned', offer_index: 2, offers }, 'G9')).toBeNull()
    expect(myOffer({ status: 'accepted', offer_index: 0, offers, team_id: 'T1' }, 'G1')).toBeNull()
  })
})

describe('ownedBy', () => {
  it('is the accepting team’s leader alone', () => {
    expect(ownedBy({ status: 'accepted', offers, team_id: 'T2' }, 'G2')).toBe(true)
    expect(ownedBy({ status: 'accepted', offers, team_id: 'T2' }, 'G1')).toBe(false)
    expect(ownedBy({ status: 'offered', offers, team_id: '' }, 'G1')).toBe(false)
  })
})

describe('nextSteps', () => {
  it('follows patrols’ order', () => {
    expect(nextSteps({ status: 'offered' })).toEqual([])
    expect(nextSteps({ status: 'accepted' })).toEqual(['en_route', 'arrived'])
    expect(nextSteps({ status: 'en_route' })).toEqual(['arrived'])
    expect(nextSteps({ status: 'arrived' })).toEqual(['feedback'])
    expect(nextSteps({ status: 'arrived', feedback_at: raised })).toEqual([])
    expect(nextSteps({ status: 'closed' })).toEqual([])
  })
})

describe('stageClock', () => {
  const urgent = { urgency: 'urgent', setting: 'urban', raised_at: raised, offers }
  it('measures accept from the standing offer, not from raised', () => {
    const d = { ...urgent, status: 'offered', offer_index: 1 }
    expect(stageClock(d, at(45))).toEqual({ stage: 'accept', elapsed: 15, target: 30, over: false })
    expect(stageClock(d, at(61))).toEqual({ stage: 'accept', elapsed: 31, target: 30, over: true })
  })
  it('is not over at the target itself', () => {
    expect(stageClock({ ...urgent, status: 'offered', offer_index: 0 }, at(30)).over).toBe(false)
  })
  it('measures arrival and feedback from raised, with the setting’s target', () => {
    const d = { ...urgent, status: 'en_route', offer_index: 0, team_id: 'T1', accepted_at: at(10).toISOString() }
    expect(stageClock(d, at(301))).toEqual({ stage: 'arrive', elapsed: 301, target: 300, over: true })
    expect(stageClock({ ...d, setting: 'suburban' }, at(301)).over).toBe(false)
    const arrived = { ...d, status: 'arrived', arrived_at: at(200).toISOString() }
    expect(stageClock(arrived, at(1799))).toEqual({ stage: 'feedback', elapsed: 1799, target: 1800, over: false })
  })
  it('stops once feedback is in, and never runs backwards', () => {
    expect(stageClock({ ...urgent, status: 'arrived', arrived_at: raised, feedback_at: raised }, at(5))).toBeNull()
    expect(stageClock({ ...urgent, status: 'closed' }, at(5))).toBeNull()
    expect(stageClock({ ...urgent, status: 'offered', offer_index: 0 }, at(-5)).elapsed).toBe(0)
  })
})

describe('stageSeconds and formatClock', () => {
  it('rounds a step to whole seconds after raised', () => {
    expect(stageSeconds(raised, '2026-12-03T04:00:07.600Z')).toBe(8)
    expect(stageSeconds(raised, null)).toBeNull()
  })
  it('renders a stopwatch', () => {
    expect(formatClock(0)).toBe('0:00')
    expect(formatClock(65)).toBe('1:05')
    expect(formatClock(3661)).toBe('1:01:01')
    expect(formatClock(null)).toBe('')
  })
})
