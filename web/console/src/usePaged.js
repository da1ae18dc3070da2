import { ref } from 'vue'

// usePaged walks an API list ({items, next_page_token}) page by page:
// next() follows next_page_token, first() starts over. The pages before
// are kept as tokens, so "first page" needs no reload of the ones between.
export function usePaged(fetchPage) {
  const items = ref([])
  const next = ref('')
  const page = ref(1)
  const error = ref(null)
  const loading = ref(false)
  async function load(token) {
    loading.value = true
    try {
      const res = await fetchPage(token)
      items.value = res.items || []
      next.value = res.next_page_token || ''
      error.value = null
    } catch (e) {
      error.value = e
    } finally {
      loading.value = false
    }
  }
  async function first() {
    page.value = 1
    await load('')
  }
  async function forward() {
    if (!next.value) return
    page.value++
    await load(next.value)
  }
  return { items, next, page, error, loading, first, forward }
}
