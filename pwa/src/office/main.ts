import { createApp } from 'vue'
import {
  ElAlert, ElAside, ElAutocomplete, ElButton, ElCard, ElCheckbox, ElCol, ElConfigProvider, ElContainer, ElDatePicker, ElDescriptions,
  ElDescriptionsItem, ElDialog, ElEmpty, ElForm, ElFormItem, ElHeader, ElInput, ElInputNumber, ElLink, ElMain, ElMenu,
  ElMenuItem, ElOption, ElPagination, ElRadio, ElRadioButton, ElRadioGroup, ElRate, ElRow, ElSelect, ElSwitch, ElTable, ElTableColumn, ElTabPane,
  ElLoading, ElTabs, ElTag,
} from 'element-plus'
import 'element-plus/dist/index.css'
import App from './App.vue'
import { i18n } from './i18n'
import { router } from './router'
import './office.css'

const app = createApp(App)
for (const c of [ElAlert, ElAside, ElAutocomplete, ElButton, ElCard, ElCheckbox, ElCol, ElConfigProvider, ElContainer, ElDatePicker,
  ElDescriptions, ElDescriptionsItem, ElDialog, ElEmpty, ElForm, ElFormItem, ElHeader, ElInput, ElInputNumber, ElLink, ElMain,
  ElMenu, ElMenuItem, ElOption, ElPagination, ElRadio, ElRadioButton, ElRadioGroup, ElRate, ElRow, ElSelect, ElSwitch, ElTable, ElTableColumn,
  ElTabPane, ElTabs, ElTag, ElLoading]) {
  app.use(c)
}
app.use(i18n).use(router)
document.documentElement.lang = i18n.global.locale.value
app.mount('#app')
