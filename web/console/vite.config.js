import { defineConfig } from 'vite'
import vue from '@vitejs/plugin-vue'

// The build is committed (dist/) and embedded in the Go binaries, so it
// must be the same on every machine: no timestamps, stable chunk names
// (content hashes only), no source maps pointing at a local path.
export default defineConfig({
  plugins: [vue()],
  base: '/',
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    sourcemap: false,
    chunkSizeWarningLimit: 2000,
    rollupOptions: {
      output: {
        // Element Plus and ECharts change less often than the pages: their
        // own chunks keep a page change from re-downloading them.
        manualChunks(id) {
          if (id.includes('node_modules/echarts') || id.includes('node_modules/zrender')) return 'echarts'
          if (id.includes('node_modules/element-plus') || id.includes('node_modules/@element-plus')) return 'element-plus'
          if (id.includes('node_modules/')) return 'vendor'
        },
      },
    },
  },
  test: {
    environment: 'node',
    include: ['src/**/*.test.js'],
  },
})
