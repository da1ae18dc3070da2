import { createRouter, createWebHistory } from 'vue-router'
import { session, loadMe } from './session.js'
import { homeOf } from './roles.js'

// Routes are real paths (history mode): the nodes serve index.html for
// any path outside /api/, so a link or a QR code can point at a page.
export const router = createRouter({
  history: createWebHistory(),
  routes: [
    { path: '/login', name: 'login', component: () => import('./views/LoginView.vue'), meta: { public: true } },
    { path: '/', name: 'home', redirect: () => homeOf(session.me) },
    { path: '/city', name: 'city', component: () => import('./views/CityView.vue') },
    { path: '/districts/:district', name: 'district', component: () => import('./views/DistrictView.vue'), props: true },
    {
      path: '/districts/:district/companies/:company', name: 'company',
      component: () => import('./views/CompanyView.vue'), props: true,
    },
    {
      path: '/districts/:district/meetings', name: 'meetings',
      component: () => import('./views/MeetingsView.vue'), props: true,
    },
    {
      path: '/districts/:district/meetings/:id', name: 'meeting',
      component: () => import('./views/MeetingView.vue'), props: true,
    },
    {
      // An invitation's QR code opens this page.
      path: '/check-in/:district/:meeting', name: 'check-in',
      component: () => import('./views/CheckInView.vue'),
      props: (r) => ({ district: r.params.district, meeting: r.params.meeting, code: typeof r.query.code === 'string' ? r.query.code : '' }),
    },
    { path: '/conflicts', name: 'conflicts', component: () => import('./views/ConflictsView.vue') },
    { path: '/directives', name: 'directives', component: () => import('./views/DirectivesView.vue') },
    { path: '/ops', name: 'ops', component: () => import('./views/OpsView.vue') },
    {
      path: '/districts/:district/action-items', name: 'action-items',
      component: () => import('./views/ActionItemsView.vue'), props: true,
    },
    {
      path: '/districts/:district/dispatches', name: 'dispatches',
      component: () => import('./views/DispatchesView.vue'), props: true,
    },
    {
      path: '/districts/:district/notices', name: 'notices',
      component: () => import('./views/NoticesView.vue'), props: true,
    },
    {
      path: '/districts/:district/companies/:company/notices', name: 'company-notices',
      component: () => import('./views/CompanyNoticesView.vue'), props: true,
    },
    {
      path: '/districts/:district/disputes', name: 'disputes',
      component: () => import('./views/DisputesView.vue'), props: true,
    },
    {
      path: '/districts/:district/inspections', name: 'inspections',
      component: () => import('./views/InspectionsView.vue'), props: true,
    },
    {
      path: '/districts/:district/wages', name: 'wages',
      component: () => import('./views/WagesView.vue'), props: true,
    },
    {
      path: '/districts/:district/patrols', name: 'patrols',
      component: () => import('./views/PatrolsView.vue'), props: true,
    },
    {
      path: '/districts/:district/convention', name: 'convention',
      component: () => import('./views/ConventionView.vue'), props: true,
    },
    {
      path: '/districts/:district/field-visits', name: 'field-visits',
      component: () => import('./views/FieldVisitsView.vue'), props: true,
    },
    {
      path: '/districts/:district/service-plan', name: 'service-plan',
      component: () => import('./views/ServicePlanView.vue'), props: true,
    },
    {
      path: '/districts/:district/aid', name: 'aid',
      component: () => import('./views/AidView.vue'), props: true,
    },
    {
      path: '/districts/:district/publicity', name: 'publicity',
      component: () => import('./views/PublicityView.vue'), props: true,
    },
    { path: '/hq/publicity', name: 'hq-publicity', component: () => import('./views/HqPublicityView.vue') },
    { path: '/scan', name: 'scan', component: () => import('./views/ScanView.vue') },
    // A team leader's notices and dispatch; ?dispatch= opens one request.
    { path: '/team', name: 'team', component: () => import('./views/TeamView.vue') },
    { path: '/:rest(.*)*', redirect: '/' },
  ],
})

router.beforeEach(async (to) => {
  if (to.meta.public) return true
  if (!session.token) return { name: 'login', query: { next: to.fullPath } }
  if (!session.me) {
    try {
      await loadMe()
    } catch {
      return { name: 'login', query: { next: to.fullPath } }
    }
  }
  return true
})
