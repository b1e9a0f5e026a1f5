import { createApp } from 'vue'
import {
  ActionBar, ActionBarButton, Badge, Button, Cell, CellGroup, Dialog, Empty, Field, Form, Icon, NavBar,
  NoticeBar, Popup, Radio, RadioGroup, Rate, Search, Stepper, Tabbar, TabbarItem, Tag,
} from 'vant'
import 'vant/lib/index.css'
import App from './App.vue'
import { i18n } from './i18n'
import { router } from './router'
import { start } from './store'
import './app.css'

const app = createApp(App)
for (const c of [ActionBar, ActionBarButton, Badge, Button, Cell, CellGroup, Dialog, Empty, Field, Form, Icon,
  NavBar, NoticeBar, Popup, Radio, RadioGroup, Rate, Search, Stepper, Tabbar, TabbarItem, Tag]) {
  app.use(c)
}
app.use(i18n).use(router)
document.documentElement.lang = i18n.global.locale.value

void start().then(() => app.mount('#app'))

if ('serviceWorker' in navigator && import.meta.env.PROD) {
  void navigator.serviceWorker.register('/app/sw.js', { scope: '/app/' })
}
