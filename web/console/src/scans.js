// The guard's phone keeps its own scan numbering (device_seq: the API
// answers a resent number with the stored scan, so a retry never counts
// twice) and the scans it could not send, until they are uploaded as a
// batch. Both live in localStorage: a reload or a dead battery loses
// neither.

const DEVICE = 'guildhall.device'
const SEQ = 'guildhall.device-seq'
const QUEUE = 'guildhall.scan-queue'

// deviceId is this browser's device id, made once.
export function deviceId(storage = localStorage) {
  let id = storage.getItem(DEVICE)
  if (!id) {
    id = 'web-' + crypto.randomUUID()
    storage.setItem(DEVICE, id)
  }
  return id
}

// nextSeq returns the next device_seq, persisted before it is used.
export function nextSeq(storage = localStorage) {
  const n = (parseInt(storage.getItem(SEQ) || '0', 10) || 0) + 1
  storage.setItem(SEQ, String(n))
  return n
}

// queued returns the scans waiting to be uploaded (of guard).
export function queued(guard, storage = localStorage) {
  try {
    return (JSON.parse(storage.getItem(QUEUE) || '[]') || []).filter((q) => q.guard === guard)
  } catch {
    return []
  }
}

// enqueue keeps a scan for a later batch upload.
export function enqueue(guard, item, storage = localStorage) {
  let all = []
  try {
    all = JSON.parse(storage.getItem(QUEUE) || '[]') || []
  } catch {
    all = []
  }
  all.push({ guard, item })
  storage.setItem(QUEUE, JSON.stringify(all))
}

// settle removes from the queue the scans of guard the API answered
// (accepted, duplicate or rejected: each has its answer; only a scan that
// never reached the API stays).
export function settle(guard, answeredSeqs, storage = localStorage) {
  const done = new Set(answeredSeqs)
  let all = []
  try {
    all = JSON.parse(storage.getItem(QUEUE) || '[]') || []
  } catch {
    all = []
  }
  storage.setItem(QUEUE, JSON.stringify(all.filter((q) => q.guard !== guard || !done.has(q.item.device_seq))))
}
