import { describe, expect, it } from 'vitest'
import { ApiError, createApi, withQuery } from './api.js'

function fakeFetch(status, body) {
  const calls = []
  const f = async (path, init) => {
    calls.push({ path, init })
    return { ok: status >= 200 && status < 300, status, text: async () => (typeof body === 'string' ? body : JSON.stringify(body)) }
  }
  return { f, calls }
}

describe('api', () => {
  it('sends the token and a JSON body, and decodes the answer', async () => {
    const { f, calls } = fakeFetch(201, { id: 'x' })
    const api = createApi({ fetch: f, getToken: () => 'tok' })
    expect(await api('/api/v1/x', { method: 'POST', body: { a: 1 } })).toEqual({ id: 'x' })
    expect(calls[0].init.headers.Authorization).toBe('Bearer tok')
    expect(calls[0].init.headers['Content-Type']).toBe('application/json')
    expect(calls[0].init.body).toBe('{"a":1}')
  })
  it("sends the console's language, so the API's messages come in it", async () => {
    const { f, calls } = fakeFetch(200, {})
    let locale = 'zh-CN'
    const api = createApi({ fetch: f, getLocale: () => locale })
    await api('/x')
    locale = 'en'
    await api('/x')
    expect(calls.map((c) => c.init.headers['Accept-Language'])).toEqual(['zh-CN', 'en'])
  })
  it('turns the API error body into an ApiError with id and field', async () => {
    const { f } = fakeFetch(422, { error: { id: 'guard.id_number_invalid', message: 'bad check digit', field: 'id_number' } })
    const api = createApi({ fetch: f })
    const err = await api('/x').catch((e) => e)
    expect(err).toBeInstanceOf(ApiError)
    expect([err.status, err.id, err.field, err.message]).toEqual([422, 'guard.id_number_invalid', 'id_number', 'bad check digit'])
  })
  it('logs out on 401', async () => {
    let out = 0
    const { f } = fakeFetch(401, { error: { id: 'auth.token_invalid', message: 'expired' } })
    await createApi({ fetch: f, onUnauthorized: () => out++ })('/x').catch(() => {})
    expect(out).toBe(1)
  })
  it('reports a network failure as status 0', async () => {
    const api = createApi({ fetch: async () => { throw new Error('refused') } })
    const err = await api('/x').catch((e) => e)
    expect([err.status, err.id]).toEqual([0, 'network'])
  })
  it('builds query strings from the set params only', () => {
    expect(withQuery('/g', { criterion: 'training', page_token: '', company_id: undefined, page_size: 20 })).toBe('/g?criterion=training&page_size=20')
    expect(withQuery('/g', {})).toBe('/g')
  })
})
