import { defineConfig } from 'vitest/config'
import vue from '@vitejs/plugin-vue'
import { VitePWA } from 'vite-plugin-pwa'

// Two pages from one source tree, built in two passes (`npm run build`):
// - the engineer app (index.html → dist/, served at /app/ by api/web.py), offline, with a
//   service worker;
// - the office console (`--mode office`: office.html → dist/office/, served at /office/),
//   online only, no service worker. Its own pass keeps its base (/office/), its chunks and
//   Element Plus/ECharts out of the app's graph, its precache and its initial bundle.
const office = defineConfig({
  base: '/office/',
  publicDir: false,
  plugins: [vue()],
  build: {
    target: 'es2020',
    outDir: 'dist/office',
    emptyOutDir: true,
    chunkSizeWarningLimit: 1500,
    rollupOptions: { input: 'office.html' },
  },
})

const app = defineConfig({
  base: '/app/',
  plugins: [
    vue(),
    VitePWA({
      strategies: 'injectManifest',
      srcDir: 'src',
      filename: 'sw.ts',
      injectRegister: false,
      scope: '/app/',
      base: '/app/',
      includeAssets: ['icons/*.png'],
      manifest: {
        name: 'Fieldsync 售后工程师',
        short_name: 'Fieldsync',
        description: 'Offline-first field service for engineers',
        start_url: '/app/',
        scope: '/app/',
        display: 'standalone',
        background_color: '#ffffff',
        theme_color: '#1989fa',
        lang: 'zh-CN',
        icons: [
          { src: 'icons/icon-192.png', sizes: '192x192', type: 'image/png' },
          { src: 'icons/icon-512.png', sizes: '512x512', type: 'image/png' },
          { src: 'icons/maskable-512.png', sizes: '512x512', type: 'image/png', purpose: 'maskable' },
        ],
      },
      injectManifest: {
        globPatterns: ['**/*.{js,css,html,png,svg,webmanifest}'],
        // The office console is online only: never precache it on the engineers' phones.
        globIgnores: ['office/**'],
      },
    }),
  ],
  build: { target: 'es2020', chunkSizeWarningLimit: 1200 },
  test: {
    environment: 'node',
    include: ['tests/**/*.test.ts'],
  },
})

export default defineConfig(({ mode }) => (mode === 'office' ? office : app))
