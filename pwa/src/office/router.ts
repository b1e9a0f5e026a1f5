import { createRouter, createWebHistory } from 'vue-router'
import { session } from './api'
import { OFFICE_ROLES, homeOf, menuFor } from './menus'

export const router = createRouter({
  history: createWebHistory('/office/'),
  routes: [
    { path: '/', redirect: () => (session.tokens ? homeOf(session.tokens.user.role) : '/login') },
    { path: '/login', component: () => import('./views/Login.vue'), meta: { public: true } },
    { path: '/intake', component: () => import('./views/Intake.vue'), meta: { menu: 'intake' } },
    { path: '/board', component: () => import('./views/Board.vue'), meta: { menu: 'board' } },
    { path: '/review', component: () => import('./views/Review.vue'), meta: { menu: 'review' } },
    // A job's page: every office role may read it (the dispatcher from customers' equipment
    // history); only the supervisor sees approve / send back.
    { path: '/review/:id', component: () => import('./views/ReviewJob.vue'), props: true, meta: { menu: 'review', roles: OFFICE_ROLES } },
    { path: '/conflicts', component: () => import('./views/Conflicts.vue'), meta: { menu: 'conflicts' } },
    { path: '/settlement', component: () => import('./views/Settlement.vue'), meta: { menu: 'settlement' } },
    { path: '/settlement/:id', component: () => import('./views/Settlement.vue'), props: true, meta: { menu: 'settlement' } },
    { path: '/van', component: () => import('./views/VanReconciliation.vue'), meta: { menu: 'van' } },
    { path: '/receipts', component: () => import('./views/Receipts.vue'), meta: { menu: 'receipts' } },
    { path: '/follow-up', component: () => import('./views/FollowUp.vue'), meta: { menu: 'followup' } },
    { path: '/complaints', component: () => import('./views/Complaints.vue'), meta: { menu: 'complaints' } },
    { path: '/figures', component: () => import('./views/Figures.vue'), meta: { menu: 'figures' } },
    { path: '/customers', component: () => import('./views/Customers.vue'), meta: { menu: 'customers' } },
    { path: '/catalogue', component: () => import('./views/Catalogue.vue'), meta: { menu: 'catalogue' } },
    { path: '/people', component: () => import('./views/People.vue'), meta: { menu: 'people' } },
    { path: '/:rest(.*)*', redirect: '/' },
  ],
})

router.beforeEach((to) => {
  if (to.meta.public) return true
  if (!session.tokens) return { path: '/login', query: { next: to.fullPath } }
  const key = to.meta.menu
  const role = session.tokens.user.role
  const roles = to.meta.roles as readonly string[] | undefined
  if (roles?.includes(role)) return true
  if (typeof key === 'string' && !menuFor(role).some((m) => m.key === key)) {
    return homeOf(role)
  }
  return true
})
