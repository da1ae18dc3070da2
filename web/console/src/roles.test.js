import { describe, expect, it } from 'vitest'
import { canEditMeetings, decidesAid, editsPost, givesFeedback, homeOf, issuesDirectives, movesActionItems, offersAid, postsAid, publishesPublicity, reviewsPublicity, runsFieldwork, seesActionItems, seesAidStats, seesCity, seesDirectives, seesDistrictOversight, seesFieldwork, seesHQPublicity, seesTeam } from './roles.js'

describe('roles', () => {
  it('lands each role on its page', () => {
    expect(homeOf(null)).toBe('/login')
    expect(homeOf({ role: 'hq-admin', districts: [] })).toBe('/city')
    expect(homeOf({ role: 'ops', districts: [] })).toBe('/city')
    expect(homeOf({ role: 'district-admin', districts: ['jingkai'] })).toBe('/districts/jingkai')
    expect(homeOf({ role: 'company-admin', districts: ['jingkai'], company: 'c1' })).toBe('/districts/jingkai/companies/c1')
    expect(homeOf({ role: 'police', districts: ['caidian'] })).toBe('/districts/caidian')
    expect(homeOf({ role: 'guard', districts: ['jingkai'], company: 'c1', guard: 'g1' })).toBe('/scan')
  })
  it('offers the city view only to city-wide roles', () => {
    expect(seesCity({ role: 'police', districts: [] })).toBe(true)
    expect(seesCity({ role: 'police', districts: ['jingkai'] })).toBe(false)
    expect(seesCity({ role: 'district-admin', districts: ['jingkai'] })).toBe(false)
    expect(seesCity({ role: 'company-admin', districts: ['jingkai'], company: 'c1' })).toBe(false)
  })
  it('lets only HQ and the district lead run meetings', () => {
    expect(canEditMeetings({ role: 'hq-admin', districts: [] })).toBe(true)
    expect(canEditMeetings({ role: 'district-admin', districts: ['jingkai'] })).toBe(true)
    expect(canEditMeetings({ role: 'police', districts: ['jingkai'] })).toBe(false)
    expect(canEditMeetings({ role: 'company-admin', districts: ['jingkai'], company: 'c1' })).toBe(false)
    expect(canEditMeetings(null)).toBe(false)
  })
  it('gives the police read-only oversight: they read, HQ and the district act', () => {
    const police = { role: 'police', districts: ['jingkai'] }
    expect(seesActionItems(police)).toBe(true)
    expect(movesActionItems(police)).toBe(false)
    expect(seesDirectives(police)).toBe(true)
    expect(issuesDirectives(police)).toBe(false)
    expect(issuesDirectives({ role: 'hq-admin', districts: [] })).toBe(true)
    expect(seesDistrictOversight(police)).toBe(true)
    expect(seesDistrictOversight({ role: 'district-admin', districts: ['jingkai'] })).toBe(false)
    expect(seesDirectives({ role: 'district-admin', districts: ['jingkai'] })).toBe(false)
  })
})

describe('fieldwork, mutual aid and publicity', () => {
  const hq = { role: 'hq-admin', districts: [] }
  const lead = { role: 'district-admin', districts: ['jingkai'] }
  const ca = { role: 'company-admin', districts: ['jingkai'], company: 'c1' }
  const police = { role: 'police', districts: ['jingkai'] }
  const cityPolice = { role: 'police', districts: [] }
  it('lets HQ and the lead record visits and run the plan; the police read', () => {
    expect([hq, lead, ca, police].map(runsFieldwork)).toEqual([true, true, false, false])
    expect([hq, lead, ca, police].map(seesFieldwork)).toEqual([true, true, false, true])
  })
  it('leaves feedback to the company alone', () => {
    expect([hq, lead, ca, police].map(givesFeedback)).toEqual([false, false, true, false])
    expect(givesFeedback({ role: 'company-admin', districts: ['jingkai'] })).toBe(false)
  })
  it('lets the lead and companies post aid, companies alone offer', () => {
    expect([hq, lead, ca, police].map(postsAid)).toEqual([false, true, true, false])
    expect([hq, lead, ca, police].map(offersAid)).toEqual([false, false, true, false])
  })
  it('lets the lead or the requesting company decide on a request', () => {
    expect(decidesAid(lead, { requester_company_id: '' })).toBe(true)
    expect(decidesAid(ca, { requester_company_id: 'c1' })).toBe(true)
    expect(decidesAid(ca, { requester_company_id: 'c2' })).toBe(false)
    expect(decidesAid(ca, { requester_company_id: '' })).toBe(false)
    expect(decidesAid(hq, { requester_company_id: '' })).toBe(false)
  })
  it("lets the post's company edit its post, the lead the lead's", () => {
    expect(editsPost(ca, { company_id: 'c1' })).toBe(true)
    expect(editsPost(ca, { company_id: 'c2' })).toBe(false)
    expect(editsPost(lead, { company_id: 'c1' })).toBe(false)
    expect(editsPost(lead, { company_id: '' })).toBe(true)
    expect(editsPost(ca, { company_id: '' })).toBe(false)
    expect(editsPost(hq, { company_id: '' })).toBe(false)
    expect(editsPost(null, { company_id: '' })).toBe(false)
  })
  it('gives the district review to the lead, HQ review to HQ and city-wide readers', () => {
    expect([hq, lead, ca, police].map(reviewsPublicity)).toEqual([false, true, false, false])
    expect([hq, lead, ca, police, cityPolice].map(seesHQPublicity)).toEqual([true, false, false, false, true])
    expect([hq, lead, ca, police, cityPolice].map(publishesPublicity)).toEqual([true, false, false, false, false])
    expect([hq, lead, ca, police].map(seesAidStats)).toEqual([true, true, false, true])
  })
  it('links the team page for a guard with a guard id alone', () => {
    expect(seesTeam({ role: 'guard', districts: ['jingkai'], guard: 'g1' })).toBe(true)
    expect(seesTeam({ role: 'guard', districts: ['jingkai'] })).toBe(false)
    for (const role of ['hq-admin', 'district-admin', 'company-admin', 'police', 'ops']) expect(seesTeam({ role, districts: ['jingkai'], guard: 'g1' })).toBe(false)
  })
})
