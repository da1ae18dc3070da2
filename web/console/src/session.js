import { reactive } from 'vue'
import { createApi } from './api.js'
import { i18n } from './i18n.js'

const KEY = 'guildhall.token'

// session is who is logged in: the token (kept in sessionStorage, so it
// ends with the tab) and what /api/v1/auth/me says about it. The role is
// only used to choose what to show; the API enforces every permission.
export const session = reactive({ token: sessionStorage.getItem(KEY) || '', me: null })

export const api = createApi({
  getToken: () => session.token,
  getLocale: () => i18n.global.locale.value,
  onUnauthorized: () => logout(),
})

// login exchanges a username and password for a token, then reads who it
// names.
export async function login(username, password) {
  const res = await api('/api/v1/auth/login', { method: 'POST', body: { username, password } })
  session.token = res.token
  sessionStorage.setItem(KEY, res.token)
  await loadMe()
}

// loadMe reads the token's identity; a rejected token logs out.
export async function loadMe() {
  if (!session.token) return null
  session.me = await api('/api/v1/auth/me')
  return session.me
}

// logout forgets the token.
export function logout() {
  session.token = ''
  session.me = null
  sessionStorage.removeItem(KEY)
}
