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
// response. getToken gives the bearer token (or ''); getLocale the
// console's language, sent as Accept-Language so the API's error messages
// come in it (the browser's own header is the browser's language, not the
// console's); onUnauthorized runs on a 401 (the token expired or was
// revoked) before the error is thrown.
export function createApi({ fetch = (...a) => globalThis.fetch(...a), getToken = () => '', getLocale = () => '', onUnauthorized = () => {} } = {}) {
  // raw sends body as it is (a file, with its own Content-Type) and
  // returns the Response of a 2xx; blob() or json() it as needed.
  async function send(path, { method = 'GET', body, headers = {}, raw = false } = {}) {
    const h = { Accept: 'application/json', ...headers }
    const token = getToken()
    if (token) h.Authorization = `Bearer ${token}`
    const locale = getLocale()
    if (locale && !h['Accept-Language']) h['Accept-Language'] = locale
    if (body !== undefined && !raw) h['Content-Type'] = 'application/json'
    try {
      return await fetch(path, { method, headers: h, body: body === undefined ? undefined : raw ? body : JSON.stringify(body) })
    } catch (e) {
      throw new ApiError(0, 'network', e.message)
    }
  }
  async function api(path, opts = {}) {
    const res = await send(path, opts)
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
  // api.file(path) downloads a file the API serves (an export, a
  // template) with the token, as a Blob with the name the API gives.
  api.file = async (path) => {
    const res = await send(path, { headers: { Accept: '*/*' } })
    if (!res.ok) {
      let err = {}
      try {
        err = (await res.json()).error || {}
      } catch {
        err = {}
      }
      if (res.status === 401) onUnauthorized()
      throw new ApiError(res.status, err.id, err.message, err.field)
    }
    const cd = res.headers.get('Content-Disposition') || ''
    const m = /filename\*=UTF-8''([^;]+)|filename="?([^";]+)"?/i.exec(cd)
    const name = m ? decodeURIComponent(m[1] || m[2]) : path.split('/').pop().split('?')[0]
    return { blob: await res.blob(), name }
  }
  return api
}

// saveBlob hands a downloaded file to the browser as a download.
export function saveBlob({ blob, name }) {
  const url = URL.createObjectURL(blob)
  const a = document.createElement('a')
  a.href = url
  a.download = name
  document.body.appendChild(a)
  a.click()
  a.remove()
  setTimeout(() => URL.revokeObjectURL(url), 1000)
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
