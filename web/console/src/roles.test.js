import { describe, expect, it } from 'vitest'
import { canEditMeetings, homeOf, issuesDirectives, movesActionItems, seesActionItems, seesCity, seesDirectives, seesDistrictOversight } from './roles.js'

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
