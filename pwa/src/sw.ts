/// <reference lib="webworker" />
// The service worker: Workbox precaches the built shell and assets, and every navigation in
// /app/ answers the cached index.html, so the app opens with no signal. API calls are never
// cached: the outbox in IndexedDB, not the service worker, carries the engineer's changes.
import { clientsClaim } from 'workbox-core'
import { cleanupOutdatedCaches, createHandlerBoundToURL, precacheAndRoute } from 'workbox-precaching'
import { NavigationRoute, registerRoute } from 'workbox-routing'

declare let self: ServiceWorkerGlobalScope

precacheAndRoute(self.__WB_MANIFEST)
cleanupOutdatedCaches()
registerRoute(new NavigationRoute(createHandlerBoundToURL('/app/index.html'), { allowlist: [/^\/app\//] }))

// A new version takes over at once. It touches no IndexedDB store, so queued work survives.
self.skipWaiting()
clientsClaim()
