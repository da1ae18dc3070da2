import { describe, expect, it } from 'vitest'
import { deviceId, enqueue, nextSeq, queued, settle } from './scans.js'

function memory() {
  const m = new Map()
  return { getItem: (k) => (m.has(k) ? m.get(k) : null), setItem: (k, v) => m.set(k, String(v)) }
}

describe('scans on the phone', () => {
  it('keeps one device id and numbers scans without repeating', () => {
    const s = memory()
    const id = deviceId(s)
    expect(deviceId(s)).toBe(id)
    expect([nextSeq(s), nextSeq(s), nextSeq(s)]).toEqual([1, 2, 3])
  })
  it('queues scans per guard and drops only the answered ones', () => {
    const s = memory()
    enqueue('g1', { device_seq: 1, tag: 'a' }, s)
    enqueue('g1', { device_seq: 2, tag: 'b' }, s)
    enqueue('g2', { device_seq: 3, tag: 'c' }, s)
    expect(queued('g1', s).map((q) => q.item.tag)).toEqual(['a', 'b'])
    settle('g1', [1], s)
    expect(queued('g1', s).map((q) => q.item.tag)).toEqual(['b'])
    expect(queued('g2', s).map((q) => q.item.tag)).toEqual(['c'])
  })
  it('survives a broken queue', () => {
    const s = memory()
    s.setItem('guildhall.scan-queue', '{not json')
    expect(queued('g1', s)).toEqual([])
    enqueue('g1', { device_seq: 1 }, s)
    expect(queued('g1', s).length).toBe(1)
  })
})
