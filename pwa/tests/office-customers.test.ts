import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it, vi } from 'vitest'
import {
  ASSET_MAX, assetForm, assetPatch, changedMeanwhile, CONTACT_MAX, CUSTOMER_MAX, fieldLabel, SITE_MAX, contactLine, contactsMissingName, customerForm, customerPatch, emptyAsset,
  emptyCustomer, jobLink, newAssetBody, newCustomerBody, newSiteBody, siteForm, sitePatch, warrantySource, warrantyText,
  warrantyTone,
} from '../src/office/customers'
import { customersText } from '../src/office/text/customers'
import type { Asset, Customer, Site } from '../src/office/types'

const customer = (over: Partial<Customer> = {}): Customer => ({
  id: 'c1', code: 'C-000001', name: '华东制冷', address: '上海市浦东新区', phone: '021-5555', email: '', locale: 'zh-CN',
  notes: '', version: 3, updated_at: '2026-01-01T00:00:00Z',
  contacts: [{ id: 'p1', name: '赵经理', phone: '138', email: '', title: '设备科' }],
  ...over,
})
const site = (over: Partial<Site> = {}): Site => ({
  id: 's1', customer_id: 'c1', name: '一号厂房', address: '浦东', region_id: null, version: 2, ...over,
})
const asset = (over: Partial<Asset> = {}): Asset => ({
  id: 'a1', customer_id: 'c1', site_id: 's1', name: '冷水机组', model: 'CH-500', serial: 'SN-1',
  acceptance_date: '2025-03-15', warranty_months: null, warranty_end: '2027-03-14', warranty_end_given: false,
  warranty_status: 'in_warranty', contract_ref: '', version: 5, ...over,
})

describe('a customer’s PATCH', () => {
  it('is nothing when the form was opened and saved unchanged', () => {
    expect(customerPatch(customer(), customerForm(customer()))).toBeNull()
  })

  it('carries only the changed fields, trimmed, with the version the form was opened on', () => {
    const form = { ...customerForm(customer()), phone: ' 021-6666 ', notes: '' }
    expect(customerPatch(customer(), form)).toEqual({ phone: '021-6666', version: 3 })
    expect(customerPatch(customer(), { ...customerForm(customer()), locale: 'en' })).toEqual({ locale: 'en', version: 3 })
  })

  it('is nothing for a record saved unchanged whose stored text has spaces around it (an import)', () => {
    const imported = customer({ name: ' 华东制冷 ', address: '上海市浦东新区 ' })
    expect(customerPatch(imported, customerForm(imported))).toBeNull()
    expect(sitePatch(site({ name: '一号厂房 ' }), siteForm(site({ name: '一号厂房 ' })))).toBeNull()
    expect(assetPatch(asset({ serial: ' SN-1' }), assetForm(asset({ serial: ' SN-1' })))).toBeNull()
    // Edited, it is sent trimmed.
    expect(customerPatch(imported, { ...customerForm(imported), name: ' 华东制冷公司 ' })).toEqual({ name: '华东制冷公司', version: 3 })
  })

  it('does not count spaces typed around an unchanged value as a change', () => {
    expect(customerPatch(customer(), { ...customerForm(customer()), name: '  华东制冷 ' })).toBeNull()
  })

  it('sends the whole contact list when one contact changed (the server replaces the list)', () => {
    const form = customerForm(customer())
    form.contacts[0].phone = '139'
    form.contacts.push({ name: '王工', title: '', phone: '137', email: '' })
    expect(customerPatch(customer(), form)).toEqual({
      contacts: [
        { name: '赵经理', title: '设备科', phone: '139', email: '' },
        { name: '王工', title: '', phone: '137', email: '' },
      ],
      version: 3,
    })
  })

  it('drops a contact row added but left blank, and sends a removed contact as a shorter list', () => {
    const blank = customerForm(customer())
    blank.contacts.push({ name: ' ', title: '', phone: '', email: '' })
    expect(customerPatch(customer(), blank)).toBeNull()
    expect(customerPatch(customer(), { ...customerForm(customer()), contacts: [] })).toEqual({ contacts: [], version: 3 })
  })

  it('tells a contact without a name (the server requires one) from a blank row', () => {
    expect(contactsMissingName([{ name: '', title: '', phone: '138', email: '' }])).toBe(true)
    expect(contactsMissingName([{ name: '  ', title: '', phone: '', email: '' }])).toBe(false)
  })
})

describe('a new customer', () => {
  it('is posted trimmed with its filled contacts, without a code (the server numbers it)', () => {
    const form = { ...emptyCustomer(' 新客户 '), phone: '139 ', contacts: [{ name: '李工', title: '', phone: '139', email: '' }, { name: '', title: '', phone: '', email: '' }] }
    expect(newCustomerBody(form)).toEqual({
      name: '新客户', phone: '139', email: '', address: '', locale: 'zh-CN', notes: '',
      contacts: [{ name: '李工', title: '', phone: '139', email: '' }],
    })
  })
})

describe('a site', () => {
  it('is patched with its changes only; an emptied region is sent as none', () => {
    expect(sitePatch(site(), siteForm(site()))).toBeNull()
    expect(sitePatch(site(), { ...siteForm(site()), address: '浦东新区张江路 1 号' })).toEqual({ address: '浦东新区张江路 1 号', version: 2 })
    expect(sitePatch(site({ region_id: 'r1' }), { ...siteForm(site({ region_id: 'r1' })), region_id: '' })).toEqual({ region_id: null, version: 2 })
  })

  it('is created for its customer, with a region only when one is chosen', () => {
    expect(newSiteBody('c1', { name: ' 二号厂房 ', address: '', region_id: '' })).toEqual({ customer_id: 'c1', name: '二号厂房', address: '' })
    expect(newSiteBody('c1', { name: 'B', address: 'x', region_id: 'r1' })).toEqual({ customer_id: 'c1', name: 'B', address: 'x', region_id: 'r1' })
  })
})

describe('an asset’s PATCH', () => {
  it('is nothing when unchanged, a corrected serial alone otherwise', () => {
    expect(assetPatch(asset(), assetForm(asset()))).toBeNull()
    expect(assetPatch(asset(), { ...assetForm(asset()), serial: 'SN-1A ' })).toEqual({ serial: 'SN-1A', version: 5 })
  })

  it('sends a corrected acceptance date without an end date: the server works the end out again', () => {
    expect(assetPatch(asset(), { ...assetForm(asset()), acceptance_date: '2025-04-01' })).toEqual({ acceptance_date: '2025-04-01', version: 5 })
    expect(assetPatch(asset(), { ...assetForm(asset()), acceptance_date: null })).toEqual({ acceptance_date: null, version: 5 })
  })

  it('treats an emptied months box as the usual term (null), and a number as the contract’s', () => {
    expect(assetPatch(asset(), { ...assetForm(asset()), warranty_months: undefined })).toBeNull()
    expect(assetPatch(asset(), { ...assetForm(asset()), warranty_months: 36 })).toEqual({ warranty_months: 36, version: 5 })
    expect(assetPatch(asset({ warranty_months: 36 }), { ...assetForm(asset({ warranty_months: 36 })), warranty_months: null }))
      .toEqual({ warranty_months: null, version: 5 })
  })

  it('opens a worked-out end as no contract date, and sends one only when set, changed or removed', () => {
    expect(assetForm(asset()).contract_end).toBeNull()
    const given = asset({ warranty_end: '2030-12-31', warranty_end_given: true })
    expect(assetForm(given).contract_end).toBe('2030-12-31')
    expect(assetPatch(given, assetForm(given))).toBeNull()
    expect(assetPatch(asset(), { ...assetForm(asset()), contract_end: '2029-06-30' })).toEqual({ warranty_end: '2029-06-30', version: 5 })
    expect(assetPatch(given, { ...assetForm(given), contract_end: '2031-01-31' })).toEqual({ warranty_end: '2031-01-31', version: 5 })
    // Removed: sent as null, and the server works the end out again.
    expect(assetPatch(given, { ...assetForm(given), contract_end: null })).toEqual({ warranty_end: null, version: 5 })
    expect(assetPatch(asset(), { ...assetForm(asset()), contract_end: null })).toBeNull() // nothing to remove
  })

  it('moves the asset to another site of its customer', () => {
    expect(assetPatch(asset(), { ...assetForm(asset()), site_id: 's2' })).toEqual({ site_id: 's2', version: 5 })
  })
})

describe('a new asset', () => {
  it('leaves the warranty end to the server unless a contract gives it', () => {
    const form = { ...emptyAsset('s1'), model: ' CH-500', serial: 'SN-9 ', acceptance_date: '2025-03-15' }
    expect(newAssetBody(form)).toEqual({ site_id: 's1', model: 'CH-500', serial: 'SN-9', name: '', acceptance_date: '2025-03-15' })
    expect(newAssetBody({ ...form, warranty_months: 36, contract_end: '2030-12-31', contract_ref: 'HT-9' })).toEqual({
      site_id: 's1', model: 'CH-500', serial: 'SN-9', name: '', acceptance_date: '2025-03-15',
      warranty_months: 36, warranty_end: '2030-12-31', contract_ref: 'HT-9',
    })
  })
})

describe('warranty wording', () => {
  it('has a tone per status', () => {
    expect(['in_warranty', 'expired', 'unknown'].map((s) => warrantyTone(s as Asset['warranty_status'])))
      .toEqual(['success', 'danger', 'info'])
  })

  it('uses the console’s warranty texts with the end date', () => {
    expect(warrantyText(asset())).toEqual(['warranty.in_warranty', { date: '2027-03-14' }])
    expect(warrantyText(asset({ warranty_status: 'unknown', warranty_end: null }))).toEqual(['warranty.unknown', { date: '' }])
  })

  it('says where the end comes from: the server from the acceptance date, a contract, or nowhere yet', () => {
    expect(warrantySource(asset())).toEqual(['customers.endDerived', { months: 24 }])
    expect(warrantySource(asset({ warranty_months: 36 }))).toEqual(['customers.endDerived', { months: 36 }])
    expect(warrantySource(asset({ warranty_end_given: true }))[0]).toBe('customers.endContract')
    expect(warrantySource(asset({ warranty_end: null, acceptance_date: null }))[0]).toBe('customers.endNone')
    expect(warrantySource(asset({ warranty_end: null }))[0]).toBe('customers.endMissing')
  })
})

describe('the list and history', () => {
  it('shows a customer’s first contact as name and phone', () => {
    expect(contactLine(customer())).toBe('赵经理 · 138')
    expect(contactLine(customer({ contacts: [] }))).toBe('')
  })

  it('links a job of the history to its page for every office role', () => {
    expect(['quality', 'supervisor', 'admin', 'dispatcher', 'engineer'].map((r) => jobLink(r, 'j1')))
      .toEqual(['/review/j1', '/review/j1', '/review/j1', '/review/j1', null])
  })

  it('tells a colleague’s save meanwhile from another refusal', () => {
    expect(changedMeanwhile(3, { version: 4 })).toBe(true)
    expect(changedMeanwhile(3, { version: 3 })).toBe(false) // e.g. a serial already taken
    expect(changedMeanwhile(3, null)).toBe(false)
  })
})

describe('the screen’s texts', () => {
  const keys = (o: object) => Object.keys(o).sort()

  it('name every English key in Chinese too, none left empty', () => {
    expect(keys(customersText.zh)).toEqual(keys(customersText.en))
    for (const lang of [customersText.en, customersText.zh]) {
      expect(Object.entries(lang).filter(([, v]) => !v.trim())).toEqual([])
    }
  })

  it('send quality to the roles that make changes, by the names the console gives them', async () => {
    vi.stubGlobal('localStorage', { getItem: () => null, setItem: () => undefined })
    vi.stubGlobal('navigator', { languages: ['en'] })
    const { messages } = await import('../src/office/i18n')
    const zh = messages['zh-CN'].role
    expect(customersText.en.readOnly).toContain('Dispatchers and supervisors')
    expect([zh.dispatcher, zh.supervisor].filter((role) => !customersText.zh.readOnly.includes(role))).toEqual([])
    // 服务台 / "service desk" is the console itself, not someone to ask.
    for (const text of [customersText.en, customersText.zh]) expect(text.readOnly).not.toMatch(/服务台|service desk/i)
  })

  it('call the customer code by one name (编号), in the list, the form and the search box', () => {
    const view = readFileSync(join(__dirname, '../src/office/views/Customers.vue'), 'utf8')
    expect(view).not.toContain("'common.code'") // 编码: the parts' word
    expect(customersText.zh.code).toBe('编号')
    expect([customersText.zh.searchCustomers, customersText.zh.codeAuto].every((s) => s.includes('编号'))).toBe(true)
  })

  it('hold every customers.* text the screen and its rules ask for', () => {
    const sources = ['../src/office/views/Customers.vue', '../src/office/customers.ts']
      .map((f) => readFileSync(join(__dirname, f), 'utf8')).join('\n')
    const used = [...new Set([...sources.matchAll(/'customers\.(\w+)'/g)].map((m) => m[1]))]
    expect(used.length).toBeGreaterThan(20)
    expect(used.filter((k) => !(k in customersText.en))).toEqual([])
  })
})

describe('a refused field', () => {
  it('is named as on the form, a contact’s with the contact’s number', async () => {
    vi.stubGlobal('localStorage', { getItem: () => null, setItem: () => undefined })
    vi.stubGlobal('navigator', { languages: ['en'] })
    const { i18n } = await import('../src/office/i18n')
    const in_ = (locale: 'en' | 'zh-CN') => (key: string, args?: Record<string, unknown>) => i18n.global.t(key, args ?? {}, { locale })
    const [en, zh] = [in_('en'), in_('zh-CN')]
    expect(['phone', 'serial', 'contract_ref', 'mystery'].map((k) => fieldLabel(k, en)))
      .toEqual(['Phone', 'Serial number', 'Contract no.', 'mystery'])
    expect(fieldLabel('contacts[1].phone', en)).toBe('Phone of contact 2')
    expect(fieldLabel('contacts[0].phone', zh)).toBe('联系人 1 的电话')
    expect(fieldLabel('contacts[0].name', zh)).toBe('联系人 1 的姓名')
    expect(fieldLabel('contacts[2]', zh)).toBe('联系人 3')
    expect(fieldLabel('code', zh)).toBe('编号')
  })
})

describe('the inputs’ limits', () => {
  it('are the server’s (api/domain/customers/schemas.py)', () => {
    const py = readFileSync(join(__dirname, '../../api/domain/customers/schemas.py'), 'utf8')
    const alias = Object.fromEntries(
      [...py.matchAll(/^(\w+) = Annotated\[str, msgspec\.Meta\([^)]*max_length=(\d+)/gm)].map((m) => [m[1], Number(m[2])]))
    const limits = (cls: string) => {
      const body = py.split(`class ${cls}(Schema):`)[1].split('\nclass ')[0]
      return Object.fromEntries(
        [...body.matchAll(/^ {4}(\w+): (?:Annotated\[str, msgspec\.Meta\([^)]*max_length=(\d+)|(\w+))/gm)]
          .map((m) => [m[1], m[2] ? Number(m[2]) : alias[m[3]]])
          .filter(([, n]) => n !== undefined),
      )
    }
    expect(limits('CustomerIn')).toMatchObject(CUSTOMER_MAX)
    expect(limits('CustomerPatch')).toMatchObject(CUSTOMER_MAX)
    expect(limits('ContactIn')).toMatchObject(CONTACT_MAX)
    expect(limits('SiteIn')).toMatchObject(SITE_MAX)
    expect(limits('AssetIn')).toMatchObject(ASSET_MAX)
    expect(limits('AssetPatch')).toMatchObject(ASSET_MAX)
  })
})
