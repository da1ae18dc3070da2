import { describe, expect, it } from 'vitest'
import { unsignedCompanies } from './convention.js'

describe('unsignedCompanies', () => {
  const companies = [{ id: 'a' }, { id: 'b' }, { id: 'c' }]
  it('leaves out the companies whose signature counts', () => {
    expect(unsignedCompanies(companies, [{ company_id: 'b', current: true }]).map((c) => c.id)).toEqual(['a', 'c'])
  })
  it('keeps a company whose signature does not count in the rate', () => {
    expect(unsignedCompanies(companies, [{ company_id: 'a', current: false }]).map((c) => c.id)).toEqual(['a', 'b', 'c'])
  })
  it('is every company with no signature at all', () => {
    expect(unsignedCompanies(companies, undefined).map((c) => c.id)).toEqual(['a', 'b', 'c'])
    expect(unsignedCompanies(undefined, [])).toEqual([])
  })
})
