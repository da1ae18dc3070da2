import { describe, expect, it } from 'vitest'
import { keys, messages, LOCALES } from './messages.js'
import { DISTRICT_STATUSES, FOUR_RATES } from './format.js'

describe('messages', () => {
  it('has every key in both languages', () => {
    const zh = keys(messages['zh-CN'])
    for (const l of LOCALES) expect(keys(messages[l])).toEqual(zh)
  })
  it('has no empty string and no untranslated English in Chinese', () => {
    for (const l of LOCALES) {
      const walk = (tree) => Object.values(tree).forEach((v) => (typeof v === 'object' ? walk(v) : expect(v.trim()).not.toBe('')))
      walk(messages[l])
    }
    // Chinese strings may carry placeholders, the names of file formats (and Markdown)
    // and the English switch's own label, nothing else in Latin letters.
    const names = /\{[a-z]+\}|Excel|CSV|Markdown|\.?xlsx/g
    const latin = keys(messages['zh-CN']).filter((k) => {
      const v = k.split('.').reduce((t, p) => t[p], messages['zh-CN'])
      return /[A-Za-z]{3,}/.test(v.replace(names, '')) && k !== 'app.switchTo'
    })
    expect(latin).toEqual([])
  })
  it('names every district status, every rate and every role', () => {
    for (const l of LOCALES) {
      for (const s of Object.keys(DISTRICT_STATUSES)) expect(messages[l].status[s]).toBeTruthy()
      for (const r of FOUR_RATES) expect(messages[l].rates[r.key]).toBeTruthy()
      for (const role of ['hq-admin', 'district-admin', 'company-admin', 'police', 'guard', 'ops']) expect(messages[l].role[role]).toBeTruthy()
    }
  })
})
