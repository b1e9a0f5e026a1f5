import { createRouter, createWebHistory } from 'vue-router'
import JobDetail from './views/JobDetail.vue'
import JobList from './views/JobList.vue'
import Login from './views/Login.vue'
import Parts from './views/Parts.vue'
import Photos from './views/Photos.vue'
import Receipts from './views/Receipts.vue'
import RecordForm from './views/RecordForm.vue'
import Review from './views/Review.vue'
import SyncStatus from './views/SyncStatus.vue'
import { started, state } from './store'

// Every screen is in the main bundle: lazy chunks would need the network or a precache hit
// on a device that may have updated meanwhile.
export const router = createRouter({
  history: createWebHistory('/app/'),
  routes: [
    { path: '/', redirect: '/jobs' },
    { path: '/login', component: Login },
    { path: '/jobs', component: JobList },
    { path: '/jobs/:id', component: JobDetail, props: true },
    { path: '/jobs/:id/record', component: RecordForm, props: true },
    { path: '/jobs/:id/parts', component: Parts, props: true },
    { path: '/jobs/:id/photos', component: Photos, props: true },
    { path: '/jobs/:id/receipts', component: Receipts, props: true },
    { path: '/jobs/:id/review', component: Review, props: true },
    { path: '/sync', component: SyncStatus },
    { path: '/:rest(.*)*', redirect: '/jobs' },
  ],
})

router.beforeEach(async (to) => {
  await started
  if (!state.user && to.path !== '/login') return '/login'
  return true
})
