import { createI18n } from 'vue-i18n'
import { ref } from 'vue'
import zhCn from 'element-plus/es/locale/lang/zh-cn'
import en from 'element-plus/es/locale/lang/en'
import { messages, LOCALES } from './messages.js'

const KEY = 'guildhall.locale'

function initialLocale() {
  const saved = localStorage.getItem(KEY)
  return LOCALES.includes(saved) ? saved : 'zh-CN'
}

// i18n holds every string; Chinese unless the user chose English.
export const i18n = createI18n({ legacy: false, locale: initialLocale(), fallbackLocale: 'zh-CN', messages })

// elementLocale is Element Plus's own strings (pagers, pickers) in step
// with the console's locale.
export const elementLocale = ref(i18n.global.locale.value === 'en' ? en : zhCn)

// setLocale switches every string, date and chart: charts watch the
// locale and are re-created, because ECharts fixes its locale at init.
export function setLocale(locale) {
  if (!LOCALES.includes(locale)) return
  i18n.global.locale.value = locale
  elementLocale.value = locale === 'en' ? en : zhCn
  localStorage.setItem(KEY, locale)
  document.documentElement.lang = locale
}

document.documentElement.lang = i18n.global.locale.value
