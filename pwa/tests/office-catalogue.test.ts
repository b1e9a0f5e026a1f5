import { describe, expect, it } from 'vitest'
import {
  describeMovement, draftOf, emptyPart, filterLevels, isShort, knownRefusal, locationName, movementBody, movementKind,
  newPartBody, partChanges, partDraftErrors, staleEdit, placeLabels, placesOf, priceEntry, quantityEntry, quantityText, serverReason,
  sortLocations, MOVE_KINDS, type MoveDraft, type Part, type Person, type StockLocation, type StockMovement,
} from '../src/office/catalogue'
import { catalogueText } from '../src/office/text/catalogue'

const PART: Part = {
  id: 'p1', code: 'CMP-3', name: '压缩机 3匹', name_en: 'Compressor 3 HP', unit: '台', unit_en: 'set',
  price: '800.00', active: true, version: 3,
}

describe('a price typed at the desk', () => {
  it('is yuan with at most two places of fen, sent as typed without trailing zeros', () => {
    expect(priceEntry('12.5')).toEqual({ ok: true, value: '12.5' })
    expect(priceEntry(' 800.00 ')).toEqual({ ok: true, value: '800' })
    expect(priceEntry('0')).toEqual({ ok: true, value: '0' })
    expect(priceEntry('007.10')).toEqual({ ok: true, value: '7.1' })
    expect(priceEntry('.5')).toEqual({ ok: true, value: '0.5' })
  })

  it('reads full-width digits and a leading yuan sign, as typed with a Chinese input method', () => {
    expect(priceEntry('１２．５０')).toEqual({ ok: true, value: '12.5' })
    expect(priceEntry('￥36')).toEqual({ ok: true, value: '36' })
  })

  it('says why it cannot be sent, with the numbers the server holds to', () => {
    expect(priceEntry('')).toMatchObject({ ok: false, error: 'required' })
    expect(priceEntry('12,50')).toMatchObject({ ok: false, error: 'notNumber' })
    expect(priceEntry('abc')).toMatchObject({ ok: false, error: 'notNumber' })
    expect(priceEntry('.')).toMatchObject({ ok: false, error: 'notNumber' })
    expect(priceEntry('-1')).toMatchObject({ ok: false, error: 'negative' })
    expect(priceEntry('12.345')).toMatchObject({ ok: false, error: 'places', params: { places: 2 } })
    expect(priceEntry('99999999.99')).toEqual({ ok: true, value: '99999999.99' })
    expect(priceEntry('100000000')).toMatchObject({ ok: false, error: 'tooLarge', params: { max: '99999999.99' } })
    expect(priceEntry('12.340')).toEqual({ ok: true, value: '12.34' }) // a trailing zero is no third place
  })
})

describe('a quantity to move', () => {
  it('is above zero, at most a million, to a thousandth', () => {
    expect(quantityEntry('2')).toEqual({ ok: true, value: '2' })
    expect(quantityEntry('1.25')).toEqual({ ok: true, value: '1.25' })
    expect(quantityEntry('0.001')).toEqual({ ok: true, value: '0.001' })
    expect(quantityEntry('1000000')).toEqual({ ok: true, value: '1000000' })
    expect(quantityEntry('0')).toMatchObject({ ok: false, error: 'notPositive' })
    expect(quantityEntry('-3')).toMatchObject({ ok: false, error: 'notPositive' })
    expect(quantityEntry('1.2345')).toMatchObject({ ok: false, error: 'places', params: { places: 3 } })
    expect(quantityEntry('1000000.001')).toMatchObject({ ok: false, error: 'tooLarge' })
    expect(quantityEntry(' ')).toMatchObject({ ok: false, error: 'required' })
  })

  it('reads as people write it, and below zero is a shortfall', () => {
    expect(quantityText('2.000')).toBe('2')
    expect(quantityText('5.500')).toBe('5.5')
    expect(quantityText('-1.000')).toBe('-1')
    expect(quantityText('0.000')).toBe('0')
    expect(quantityText('-0.000')).toBe('0')
    expect(quantityText('010.250')).toBe('10.25')
    expect(quantityText(3)).toBe('3')
    expect(quantityText('n/a')).toBe('n/a') // not a quantity: shown as it came
    expect(isShort('-1.000')).toBe(true)
    expect(isShort('0.000')).toBe(false)
    expect(isShort('3.000')).toBe(false)
  })
})

describe('the part form', () => {
  it('asks for a code, a name, a unit and a valid price before sending', () => {
    const blank = { ...emptyPart(), unit: '' }
    expect(Object.keys(partDraftErrors(blank, true)).sort()).toEqual(['code', 'name', 'price', 'unit'])
    expect(Object.keys(partDraftErrors({ ...draftOf(PART), code: '' }, false))).toEqual([]) // an edit keeps the code
    expect(partDraftErrors({ ...draftOf(PART), price: '1.999' }, false).price).toMatchObject({ error: 'places' })
  })

  it('sends a new part trimmed, with its English name and unit', () => {
    const draft = { ...emptyPart(), code: ' CMP-9 ', name: ' 压缩机 ', name_en: 'Compressor ', unit_en: 'pc', price: '12.50' }
    expect(newPartBody(draft)).toEqual({ code: 'CMP-9', name: '压缩机', name_en: 'Compressor', unit: '个', unit_en: 'pc', price: '12.5' })
  })

  it('sends only what the edit changed', () => {
    expect(partChanges(PART, draftOf(PART))).toEqual({})
    expect(partChanges(PART, { ...draftOf(PART), unit_en: 'unit' })).toEqual({ unit_en: 'unit', version: 3 })
    expect(partChanges(PART, { ...draftOf(PART), active: false, name: '压缩机 3匹 ' })).toEqual({ active: false, version: 3 })
    expect(partChanges(PART, { ...draftOf(PART), name_en: '' })).toEqual({ name_en: '', version: 3 }) // emptied is a change
    expect(partChanges(PART, { ...draftOf(PART), price: '800' })).toEqual({}) // the same amount
    expect(partChanges(PART, { ...draftOf(PART), price: '８００.５' })).toEqual({ price: '800.5', version: 3 })
    expect(partChanges({ ...PART, price: '0.00' }, { ...draftOf(PART), price: '0' })).toEqual({})
  })

  it('knows an edit refused because a colleague saved the part meanwhile', () => {
    expect(staleEdit({ status: 409, code: 'changed_meanwhile' })).toBe(true)
    expect(staleEdit({ status: 409, code: 'duplicate' })).toBe(false)
    expect(staleEdit({ status: 409, code: null })).toBe(false)
    expect(staleEdit({ status: 400, code: 'changed_meanwhile' })).toBe(false)
  })
})

describe('a stock movement', () => {
  const draft: MoveDraft = { kind: 'move', part_id: 'p1', from: 'wh', to: 'van', quantity: '2', reason: ' 车辆补货 ' }

  it('moves between two places, receives into one, writes off from one', () => {
    expect(movementBody(draft)).toEqual({
      ok: true, body: { part_id: 'p1', quantity: '2', reason: '车辆补货', from_location_id: 'wh', to_location_id: 'van' },
    })
    expect(movementBody({ ...draft, kind: 'receive' })).toEqual({
      ok: true, body: { part_id: 'p1', quantity: '2', reason: '车辆补货', to_location_id: 'van' },
    })
    expect(movementBody({ ...draft, kind: 'writeOff', to: '' })).toEqual({
      ok: true, body: { part_id: 'p1', quantity: '2', reason: '车辆补货', from_location_id: 'wh' },
    })
  })

  it('names the first field that stops it', () => {
    expect(movementBody({ ...draft, part_id: '' })).toMatchObject({ ok: false, field: 'part', error: 'required' })
    expect(movementBody({ ...draft, from: '' })).toMatchObject({ ok: false, field: 'from' })
    expect(movementBody({ ...draft, kind: 'receive', from: '', to: '' })).toMatchObject({ ok: false, field: 'to' })
    expect(movementBody({ ...draft, to: 'wh' })).toMatchObject({ ok: false, field: 'to', error: 'sameLocation' })
    expect(movementBody({ ...draft, quantity: '0' })).toMatchObject({ ok: false, field: 'quantity', error: 'notPositive' })
    expect(movementBody({ ...draft, reason: '  ' })).toMatchObject({ ok: false, field: 'reason', error: 'required' })
  })

  const recorded: StockMovement = {
    id: 'm1', part_id: 'p1', code: 'CMP-3', name: '压缩机 3匹', name_en: 'Compressor 3 HP', unit: '台', unit_en: 'set',
    from_location_id: 'wh', to_location_id: 'van', quantity: '2.000', reason: '车辆补货', job_id: null, job_number: null,
    created_by: 'u1', created_at: '2026-11-27T02:00:00Z',
  }
  const place = (id: string) => ({ wh: '中心仓库', van: '李雷的车' })[id] ?? id

  it('is told apart from the movements a job made', () => {
    expect(movementKind(recorded)).toBe('moved')
    expect(movementKind({ ...recorded, to_location_id: null })).toBe('writtenOff')
    expect(movementKind({ ...recorded, from_location_id: null })).toBe('received')
    expect(movementKind({ ...recorded, to_location_id: null, job_id: 'j1' })).toBe('usedOnJob')
    expect(movementKind({ ...recorded, from_location_id: null, job_id: 'j1' })).toBe('returnedFromJob')
    expect(serverReason('used on job')).toBe('usedOnJob')
    expect(serverReason('returned from job')).toBe('returnedFromJob')
    expect(serverReason('车辆补货')).toBeNull()
  })

  it('is described with the part in the reader’s language and the places by name', () => {
    expect(describeMovement(recorded, place, 'en')).toEqual({
      key: 'catalogue.said.moved',
      params: { quantity: '2', unit: 'set', part: 'CMP-3 Compressor 3 HP', from: '中心仓库', to: '李雷的车', job: '' },
    })
    const used = { ...recorded, to_location_id: null, job_id: 'j1', job_number: 'FS-2026-000123' }
    expect(describeMovement(used, place, 'zh-CN')).toEqual({
      key: 'catalogue.said.usedOnJob',
      params: { quantity: '2', unit: '台', part: 'CMP-3 压缩机 3匹', from: '中心仓库', to: '', job: 'FS-2026-000123' },
    })
    for (const kind of ['received', 'moved', 'writtenOff', 'usedOnJob', 'returnedFromJob'] as const) {
      expect(typeof catalogueText.en.said[kind]).toBe('string')
      expect(typeof catalogueText.zh.said[kind]).toBe('string')
    }
  })
})

describe('stock locations', () => {
  const warehouse: StockLocation = { id: 'wh', kind: 'warehouse', name: '中心仓库 Central warehouse', engineer_id: null }
  const vanLi: StockLocation = { id: 'v1', kind: 'van', name: '李雷的车 Van engineer1', engineer_id: 'e1' }
  const vanWang: StockLocation = { id: 'v2', kind: 'van', name: 'van-wang', engineer_id: 'e2' }
  const names: Record<string, string> = { e1: '李雷', e2: '王强' }
  const person = (id: string, username: string, display_name: string): Person => ({ id, username, display_name })
  const people: Record<string, Person> = { e1: person('e1', 'engineer1', '李雷'), e2: person('e2', 'engineer2', '王强') }

  it('name a van by its engineer, else by its own name', () => {
    const places = placesOf([warehouse, vanLi, vanWang], people)
    expect(places.get('v1')).toEqual({ key: 'vanOf', name: '李雷' })
    expect(places.get('v2')).toEqual({ key: 'vanOf', name: '王强' })
    expect(places.get('wh')).toEqual({ key: null, name: '中心仓库 Central warehouse' })
    expect(placesOf([vanLi], {}).get('v1')).toEqual({ key: null, name: '李雷的车 Van engineer1' })
    expect(placesOf([vanLi], { e1: person('e1', 'engineer1', '') }).get('v1')).toEqual({ key: 'vanOf', name: 'engineer1' })
  })

  it('tell apart the vans of engineers who go by the same name, by username', () => {
    const wang1: StockLocation = { id: 'w1', kind: 'van', name: '王伟的车 Van wangwei', engineer_id: 'u1' }
    const wang2: StockLocation = { id: 'w2', kind: 'van', name: '王伟的车 Van wangwei2', engineer_id: 'u2' }
    const namesakes = { ...people, u1: person('u1', 'wangwei', '王伟'), u2: person('u2', 'wangwei2', ' 王伟 ') }
    const places = placesOf([warehouse, vanLi, wang1, wang2], namesakes)
    expect(places.get('w1')).toEqual({ key: 'vanOfNamesake', name: '王伟', username: 'wangwei' })
    expect(places.get('w2')).toEqual({ key: 'vanOfNamesake', name: '王伟', username: 'wangwei2' })
    expect(places.get('v1')).toEqual({ key: 'vanOf', name: '李雷' }) // a name of one engineer stays as it was
    // Latin names alike but for case are alike to the reader too.
    const wei = placesOf([wang1, wang2], { u1: person('u1', 'ww', 'Wang Wei'), u2: person('u2', 'ww2', 'wang wei') })
    expect([...wei.values()].map((p) => p.key)).toEqual(['vanOfNamesake', 'vanOfNamesake'])
    // An office user of the same name has no van: no need to tell them apart.
    expect(placesOf([wang1], { ...namesakes }).get('w1')).toEqual({ key: 'vanOf', name: '王伟' })
    // Said in both languages, after the existing wording.
    const say = (text: string, p: Record<string, string>) => text.replace(/\{(\w+)\}/g, (_, k: string) => p[k])
    expect(say(catalogueText.en.vanOfNamesake, { name: '王伟', username: 'wangwei2' })).toBe("王伟 (wangwei2)'s van")
    expect(say(catalogueText.zh.vanOfNamesake, { name: '王伟', username: 'wangwei2' })).toBe('王伟(wangwei2)的车')
  })

  it('list the warehouse first, then the vans by name', () => {
    const label = (l: StockLocation) => (l.engineer_id ? names[l.engineer_id] : l.name)
    expect(sortLocations([vanWang, vanLi, warehouse], label, 'en').map((l) => l.id)).toEqual(['wh', 'v1', 'v2'])
  })

  it('are named as typed, trimmed, and not blank', () => {
    expect(locationName('  东区仓库 ')).toEqual({ ok: true, value: '东区仓库' })
    expect(locationName('   ')).toMatchObject({ ok: false, error: 'required' })
  })

  it('filter what a place holds by code or name in either language', () => {
    const levels = [
      { code: 'CMP-3', name: '压缩机 3匹', name_en: 'Compressor 3 HP' },
      { code: 'FLT-1', name: '滤芯', name_en: 'Filter' },
    ]
    expect(filterLevels(levels, 'cmp').map((l) => l.code)).toEqual(['CMP-3'])
    expect(filterLevels(levels, '滤').map((l) => l.code)).toEqual(['FLT-1'])
    expect(filterLevels(levels, 'filter ').map((l) => l.code)).toEqual(['FLT-1'])
    expect(filterLevels(levels, '')).toHaveLength(2)
  })
})

describe('a refusal', () => {
  const answer = (code: string | null, params: Record<string, unknown> | null = null) => ({ code, params })
  it('is said in the desk’s language where the screen knows its code', () => {
    expect(knownRefusal(answer('not_enough_stock', { quantity: '3.500' }), 'move')).toEqual({
      key: 'catalogue.refused.notEnough', params: { held: '3.5' },
    })
    expect(knownRefusal(answer('not_enough_stock', { quantity: '0' }), 'move')).toMatchObject({ params: { held: '0' } })
    expect(knownRefusal(answer('duplicate'), 'part')).toEqual({ key: 'catalogue.refused.duplicateCode', params: {} })
    expect(knownRefusal(answer('name_taken', { name: '东区仓库' }), 'location')).toEqual({
      key: 'catalogue.refused.nameTaken', params: { name: '东区仓库' },
    })
    expect(knownRefusal(answer('name_taken', { name: "O'Neil's van" }), 'location')).toMatchObject({
      params: { name: "O'Neil's van" },
    })
  })
  it('is left to the console’s general words otherwise', () => {
    expect(knownRefusal(answer(null), 'part')).toBeNull()
    expect(knownRefusal(answer('too_long', { max: 40 }), 'part')).toBeNull()
    // Each action's own: a code taken is not a location's name taken.
    expect(knownRefusal(answer('duplicate'), 'location')).toBeNull()
    expect(knownRefusal(answer('name_taken', { name: 'x' }), 'part')).toBeNull()
    expect(knownRefusal(answer('not_enough_stock', { quantity: '1' }), 'location')).toBeNull()
  })
})

describe('the screen’s texts', () => {
  const keys = (tree: object, prefix = ''): string[] =>
    Object.entries(tree).flatMap(([k, v]) => (typeof v === 'string' ? [`${prefix}${k}`] : keys(v as object, `${prefix}${k}.`)))

  it('exist in Chinese for every English one, and say 备件, never 配件', () => {
    expect(keys(catalogueText.zh).sort()).toEqual(keys(catalogueText.en).sort())
    const zh = JSON.stringify(catalogueText.zh)
    expect(zh).not.toContain('配件')
    expect(zh).toContain('备件')
  })

  it('name every error an entry or a movement can give', () => {
    for (const error of ['required', 'notNumber', 'negative', 'notPositive', 'places', 'tooLarge', 'sameLocation']) {
      expect(error in catalogueText.en.entry).toBe(true)
    }
    for (const kind of ['receive', 'move', 'writeOff'] as const) {
      expect(catalogueText.zh[`title_${kind}`]).toBeTruthy()
      expect(catalogueText.zh[`reason_${kind}`]).toBeTruthy()
    }
  })

  it('label the movement form’s places in the words of its kind', () => {
    const text = (lang: 'en' | 'zh', key: string | null) => (key ? (catalogueText[lang] as Record<string, unknown>)[key] : null)
    const labels = (lang: 'en' | 'zh') =>
      Object.fromEntries(MOVE_KINDS.map((k) => [k, [text(lang, placeLabels(k).from), text(lang, placeLabels(k).to)]]))
    // Parts received go into a place, written off leave one: neither is a transfer (调出/调入).
    expect(labels('zh')).toEqual({ receive: [null, '入库库位'], move: ['调出库位', '调入库位'], writeOff: ['报损库位', null] })
    expect(labels('en')).toEqual({ receive: [null, 'Into'], move: ['From', 'To'], writeOff: ['From', null] })
  })
})
