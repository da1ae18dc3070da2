// The console talks only to the public API, with the user's token, as any
// other client does (README: one API style for every service).

// ApiError is a failed API call: the HTTP status and the API's error body
// ({"error": {"id", "message", "field"}}), so a page can show the message
// and mark the field at fault.
export class ApiError extends Error {
  constructor(status, id, message, field) {
    super(message || `HTTP ${status}`)
    this.status = status
    this.id = id || ''
    this.field = field || ''
  }
}

// createApi returns api(path, {method, body, headers}) → the decoded JSON
// response. getToken gives the bearer token (or ''); onUnauthorized runs on
// a 401 (the token expired or was revoked) before the error is thrown.
export function createApi({ fetch = (...a) => globalThis.fetch(...a), getToken = () => '', onUnauthorized = () => {} } = {}) {
  return async function api(path, { method = 'GET', body, headers = {} } = {}) {
    const h = { Accept: 'application/json', ...headers }
    const token = getToken()
    if (token) h.Authorization = `Bearer ${token}`
    if (body !== undefined) h['Content-Type'] = 'application/json'
    let res
    try {
      res = await fetch(path, { method, headers: h, body: body === undefined ? undefined : JSON.stringify(body) })
    } catch (e) {
      throw new ApiError(0, 'network', e.message)
    }
    const text = await res.text()
    let data = null
    if (text) {
      try {
        data = JSON.parse(text)
      } catch {
        data = null
      }
    }
    if (!res.ok) {
      if (res.status === 401) onUnauthorized()
      const err = (data && data.error) || {}
      throw new ApiError(res.status, err.id, err.message || text.slice(0, 200), err.field)
    }
    return data
  }
}

// withQuery appends the defined, non-empty params to path.
export function withQuery(path, params = {}) {
  const q = new URLSearchParams()
  for (const [k, v] of Object.entries(params)) {
    if (v !== undefined && v !== null && v !== '') q.set(k, String(v))
  }
  const s = q.toString()
  return s ? `${path}?${s}` : path
}
