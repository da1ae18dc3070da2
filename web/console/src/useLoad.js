import { onBeforeUnmount, onMounted, ref } from 'vue'

// useLoad runs load() now and every refreshMs (0: once), keeping the last
// good data while a refresh fails, and the error of the last attempt.
export function useLoad(load, refreshMs = 0) {
  const data = ref(null)
  const error = ref(null)
  const loading = ref(false)
  let timer = null
  async function run() {
    loading.value = true
    try {
      data.value = await load()
      error.value = null
    } catch (e) {
      error.value = e
    } finally {
      loading.value = false
    }
  }
  onMounted(() => {
    run()
    if (refreshMs > 0) timer = setInterval(run, refreshMs)
  })
  onBeforeUnmount(() => timer && clearInterval(timer))
  return { data, error, loading, reload: run }
}
