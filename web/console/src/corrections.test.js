import { describe, expect, it } from 'vitest'
import { aidCloseOutcomes, closeAidInput, correctionInput, minuteState, postAuthor, versionETag } from './corrections.js'

const t = (key, args) => `${key}:${JSON.stringify(args || {})}`

describe('postAuthor', () => {
  it('is the company name the API captured, never the account id', () => {
    expect(postAuthor({ author: 'acct-17', author_name: '武汉江城保安服务有限公司', company_id: 'c1', district: 'jingkai' }, t)).toBe('武汉江城保安服务有限公司')
  })
  it('falls back to the company id, then to the district lead', () => {
    expect(postAuthor({ author: 'acct-17', author_name: '', company_id: 'c9', district: 'jingkai' }, t)).toBe('c9')
    expect(postAuthor({ author: 'lead', author_name: '', author_role: 'district-admin', district: 'jingkai' }, t)).toBe('publicity.lead:{"district":"jingkai"}')
    // A published post carries no author_role: no company is the lead's.
    expect(postAuthor({ author: 'lead', author_name: '', district: 'caidian' }, t)).toBe('publicity.lead:{"district":"caidian"}')
    expect(postAuthor(null, t)).toBe('')
  })
})

describe('versionETag', () => {
  it('quotes the version as the API does', () => {
    expect(versionETag(3)).toBe('"3"')
  })
})

describe('aidCloseOutcomes', () => {
  it('offers fulfilled only once guards were accepted', () => {
    expect(aidCloseOutcomes({ status: 'open', accepted: 0 })).toEqual(['cancelled'])
    expect(aidCloseOutcomes({ status: 'open' })).toEqual(['cancelled'])
    expect(aidCloseOutcomes({ status: 'open', accepted: 2 })).toEqual(['fulfilled', 'cancelled'])
  })
  it('offers nothing for a closed request', () => {
    expect(aidCloseOutcomes({ status: 'fulfilled', accepted: 5 })).toEqual([])
    expect(aidCloseOutcomes({ status: 'expired', accepted: 0 })).toEqual([])
    expect(aidCloseOutcomes(null)).toEqual([])
  })
})

describe('closeAidInput', () => {
  it('trims the reason and leaves a blank one out', () => {
    expect(closeAidInput({ outcome: 'cancelled', reason: '  活动取消 ' })).toEqual({ outcome: 'cancelled', reason: '活动取消' })
    expect(closeAidInput({ outcome: 'fulfilled', reason: '  ' })).toEqual({ outcome: 'fulfilled' })
  })
})

describe('correctionInput', () => {
  const entry = { id: 'e1', kind: 'requirements', speaker: '王五', speaker_role: '副会长', text: '要求各单位九月底前完成复训', agenda_item_id: 'a2', published_in: 1 }
  it('supersedes the entry and keeps its kind and agenda item', () => {
    expect(correctionInput(entry, { speaker: ' 王五 ', speaker_role: '副会长', text: '要求各单位十月底前完成复训' })).toEqual({
      kind: 'requirements', speaker: '王五', speaker_role: '副会长', text: '要求各单位十月底前完成复训', supersedes: 'e1', agenda_item_id: 'a2',
    })
  })
  it('leaves out an agenda item and company the entry has not', () => {
    const body = correctionInput({ id: 'e2', kind: 'speech' }, { speaker: '李', text: 'x', kind: 'note' })
    expect(body).toEqual({ kind: 'note', speaker: '李', speaker_role: '', text: 'x', supersedes: 'e2' })
  })
})

describe('minuteState', () => {
  it('tells a published entry, a correction and a draft apart', () => {
    expect(minuteState({ published_in: 2, supersedes: 'e1' })).toBe('published')
    expect(minuteState({ published_in: 0, supersedes: 'e1' })).toBe('correction')
    expect(minuteState({ published_in: 0 })).toBe('draft')
  })
})
