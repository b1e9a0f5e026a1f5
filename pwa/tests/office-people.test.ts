import { describe, expect, it, vi } from 'vitest'

import './office-session'

const {
  accountChanges, ago, blankAccount, clockOf, deviceLabel, deviceState, draftOf, draftProblems,
  newAccountBody, newAccountProblems, passwordProblem, signsOut, SKEW_LIMIT_MS, span, teamAfter, teamsOf,
} = await import('../src/office/people')
type Account = import('../src/office/people').Account
type Device = import('../src/office/people').Device

const account: Account = {
  id: 'u1', username: 'engineer9', display_name: '李雷', role: 'engineer', phone: '13800000000', email: '',
  locale: 'zh-CN', active: true, region_id: 'r1', team_id: null,
}

const device = (over: Partial<Device> = {}): Device => ({
  id: 'd1', user_id: 'u1', name: '', created_at: '2026-11-01T00:00:00Z', last_seen_at: '2026-11-20T08:00:00Z',
  refresh_expires_at: '2027-01-01T00:00:00Z', revoked_at: null, app_version: 'pwa/0.1.0', clock_offset_ms: null, ...over,
})

describe('clock offset', () => {
  it('uses the server threshold: 5 minutes (api/domain/sync/push.py SKEW_LIMIT)', () => {
    expect(SKEW_LIMIT_MS).toBe(300_000)
  })

  it('is flagged only past 5 minutes either way, as the server flags it (> not >=)', () => {
    expect(clockOf(300_000)).toEqual({ kind: 'fast', skewed: false, by: { n: 5, unit: 'min' } })
    expect(clockOf(300_001)).toMatchObject({ kind: 'fast', skewed: true })
    expect(clockOf(-300_000)).toMatchObject({ kind: 'slow', skewed: false })
    expect(clockOf(-300_001)).toMatchObject({ kind: 'slow', skewed: true })
  })

  it('says which way and how far: positive is a device ahead of the server', () => {
    expect(clockOf(7 * 60_000 + 12_000)).toEqual({ kind: 'fast', skewed: true, by: { n: 7, unit: 'min' } })
    expect(clockOf(-8 * 3_600_000)).toEqual({ kind: 'slow', skewed: true, by: { n: 8, unit: 'h' } })
    expect(clockOf(-42_000)).toEqual({ kind: 'slow', skewed: false, by: { n: 42, unit: 's' } })
  })

  it('is unknown before the first sync, and on time within a second (network time reads slightly slow)', () => {
    expect(clockOf(null)).toEqual({ kind: 'unknown' })
    expect(clockOf(undefined)).toEqual({ kind: 'unknown' })
    expect(clockOf(-350)).toEqual({ kind: 'on_time' })
    expect(clockOf(0)).toEqual({ kind: 'on_time' })
  })
})

describe('span', () => {
  it('takes the largest unit that reads well', () => {
    expect(span(59_000)).toEqual({ n: 59, unit: 's' })
    expect(span(60_000)).toEqual({ n: 1, unit: 'min' })
    expect(span(119 * 60_000)).toEqual({ n: 119, unit: 'min' })
    expect(span(2 * 3_600_000)).toEqual({ n: 2, unit: 'h' })
    expect(span(3 * 86_400_000)).toEqual({ n: 3, unit: 'd' })
    expect(span(-90_000)).toEqual({ n: 2, unit: 'min' })
  })
})

describe('last seen', () => {
  const now = new Date('2026-11-20T10:00:00Z')
  it('reads as time ago', () => {
    expect(ago('2026-11-20T09:59:31Z', now)).toEqual({ unit: 'now' })
    expect(ago('2026-11-20T09:59:00Z', now)).toEqual({ unit: 'min', n: 1 })
    expect(ago('2026-11-20T09:01:00Z', now)).toEqual({ unit: 'min', n: 59 })
    expect(ago('2026-11-20T07:00:00Z', now)).toEqual({ unit: 'h', n: 3 })
    expect(ago('2026-11-17T09:00:00Z', now)).toEqual({ unit: 'd', n: 3 })
  })
  it('reads a time a little ahead of this PC as just now, not as negative minutes', () => {
    expect(ago('2026-11-20T10:02:00Z', now)).toEqual({ unit: 'now' })
  })
})

describe('device state', () => {
  const now = new Date('2026-11-20T10:00:00Z')
  it('is revoked, expired or signed in', () => {
    expect(deviceState(device(), now)).toBe('active')
    expect(deviceState(device({ refresh_expires_at: '2026-11-20T10:00:00Z' }), now)).toBe('expired')
    expect(deviceState(device({ revoked_at: '2026-11-19T00:00:00Z', refresh_expires_at: '2026-11-01T00:00:00Z' }), now)).toBe('revoked')
  })
})

describe('device label', () => {
  it('shortens the user agent the engineer app names its device by', () => {
    expect(deviceLabel('Mozilla/5.0 (Linux; Android 13; SM-G991B) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0.6099.230 Mobile Safari/537.36'))
      .toBe('Android 13 SM-G991B · Chrome 120')
    expect(deviceLabel('Mozilla/5.0 (Linux; Android 10; K) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/125.0.0.0 Mobile Safari/537.36'))
      .toBe('Android 10 · Chrome 125')
    expect(deviceLabel('Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Mobile/15E148 Safari/604.1'))
      .toBe('iPhone iOS 17.2 · Safari 17')
    expect(deviceLabel('Mozilla/5.0 (Linux; Android 12; V2136A Build/SP1A; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/86.0 Mobile Safari/537.36 MicroMessenger/8.0.40'))
      .toBe('Android 12 V2136A Build/SP1A · WeChat 8')
    expect(deviceLabel('Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Safari/537.36 Edg/120.0'))
      .toBe('Windows · Edge 120')
  })
  it('reads the first 100 characters the app sends as well as it can', () => {
    const ua = 'Mozilla/5.0 (iPhone; CPU iPhone OS 17_2 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.2 Mobile/15E148 Safari/604.1'
    expect(deviceLabel(ua.slice(0, 100))).toBe('iPhone iOS 17.2')
  })

  it('keeps any other name as it is', () => {
    expect(deviceLabel('Office console')).toBe('Office console')
    expect(deviceLabel('')).toBe('')
  })
})

describe('a new account', () => {
  const good = { ...blankAccount(), username: 'engineer9', display_name: '李雷', password: 'long-enough' }

  it('is checked as the server checks it', () => {
    expect(newAccountProblems(good)).toEqual({})
    expect(newAccountProblems(blankAccount())).toEqual({ username: 'usernameChars', display_name: 'nameMissing', password: 'passwordShort' })
    expect(newAccountProblems({ ...good, username: 'li lei' }).username).toBe('usernameChars')
    expect(newAccountProblems({ ...good, username: 'a'.repeat(65) }).username).toBe('usernameLong')
    expect(newAccountProblems({ ...good, display_name: '   ' }).display_name).toBe('nameMissing')
    expect(newAccountProblems({ ...good, password: '1234567' }).password).toBe('passwordShort')
  })

  it('may have a Chinese or e-mail-like username, as Python reads \\w', () => {
    expect(newAccountProblems({ ...good, username: '张伟' })).toEqual({})
    expect(newAccountProblems({ ...good, username: 'li.lei@east_2-b' })).toEqual({})
  })

  it('counts characters, not UTF-16 units', () => {
    expect(passwordProblem('🔑🔑🔑🔑🔑🔑🔑🔑')).toBeNull() // 8 characters, 16 units
    expect(passwordProblem('🔑🔑🔑🔑')).toBe('passwordShort') // 4 characters, 8 units
  })

  it('is sent trimmed, with no region or team when none is chosen', () => {
    expect(newAccountBody({ ...good, username: ' engineer9 ', phone: ' 138 ', password: ' spaced pw ' })).toEqual({
      username: 'engineer9', display_name: '李雷', password: ' spaced pw ', role: 'engineer', phone: '138', email: '', locale: 'zh-CN',
    })
    expect(newAccountBody({ ...good, region_id: 'r1', team_id: 't1' })).toMatchObject({ region_id: 'r1', team_id: 't1' })
  })
})

describe('an edit', () => {
  it('sends nothing when nothing changed', () => {
    expect(accountChanges(account, draftOf(account))).toEqual({})
  })

  it('sends only the changed fields', () => {
    const d = { ...draftOf(account), phone: ' 13900000000 ', active: false }
    expect(accountChanges(account, d)).toEqual({ phone: '13900000000', active: false })
  })

  it('clears a region or team with null, and sets one by id', () => {
    const d = { ...draftOf(account), region_id: '', team_id: 't1' }
    expect(accountChanges(account, d)).toEqual({ region_id: null, team_id: 't1' })
  })

  it('does not send a stored text it would only trim, unless it was edited', () => {
    const spaced = { ...account, display_name: ' 李雷 ' }
    expect(accountChanges(spaced, draftOf(spaced))).toEqual({})
    expect(accountChanges(spaced, { ...draftOf(spaced), display_name: '李雷' })).toEqual({ display_name: '李雷' })
  })

  it('knows which changes sign the person out everywhere', () => {
    expect(signsOut(accountChanges(account, { ...draftOf(account), phone: '1' }))).toBe(false)
    expect(signsOut(accountChanges(account, { ...draftOf(account), role: 'dispatcher' }))).toBe(true)
    expect(signsOut(accountChanges(account, { ...draftOf(account), active: false }))).toBe(true)
    expect(signsOut({ password: 'x' })).toBe(true)
  })

  it('needs a name', () => {
    expect(draftProblems({ ...draftOf(account), display_name: ' ' })).toEqual({ display_name: 'nameMissing' })
    expect(draftProblems(draftOf(account))).toEqual({})
  })
})

describe('a form’s team', () => {
  const teams = [
    { id: 'east-a', name: '华东一组', kind: 'field', region_id: 'east' },
    { id: 'south-a', name: '华南一组', kind: 'field', region_id: 'south' },
    { id: 'hq', name: '总部', kind: 'office', region_id: null },
  ]

  it('is offered from the chosen region’s teams and those of none', () => {
    expect(teamsOf(teams, 'east').map((x) => x.id)).toEqual(['east-a', 'hq'])
    expect(teamsOf(teams, '').map((x) => x.id)).toEqual(['east-a', 'south-a', 'hq'])
  })

  it('goes when the region changes to one it is not of', () => {
    expect(teamAfter(teams, 'south', 'east-a')).toBe('')
    expect(teamAfter(teams, 'south', 'south-a')).toBe('south-a')
    expect(teamAfter(teams, 'south', 'hq')).toBe('hq') // a team of no region fits any
    expect(teamAfter(teams, '', 'east-a')).toBe('east-a') // no region: any team
    expect(teamAfter(teams, 'south', '')).toBe('')
  })

  it('stays when the teams could not be read (nothing to judge it by)', () => {
    expect(teamAfter([], 'south', 'east-a')).toBe('east-a')
  })
})

describe('the screen texts', () => {
  it('all compile in both languages (a bare @ or { would break a message)', async () => {
    vi.stubGlobal('localStorage', { getItem: () => null, setItem: () => undefined })
    vi.stubGlobal('navigator', { languages: ['en'] })
    const { i18n } = await import('../src/office/i18n')
    const { peopleText } = await import('../src/office/text/people')
    const errors: unknown[] = []
    const spy = vi.spyOn(console, 'error').mockImplementation((...a) => void errors.push(a))
    const warn = vi.spyOn(console, 'warn').mockImplementation((...a) => void errors.push(a))
    const args = { n: 2, name: '李雷', username: 'li.lei', device: 'Android 13', time: '2026/11/20 18:00', by: '7 min', limit: '5 min' }
    for (const locale of ['en', 'zh-CN'] as const) {
      for (const key of Object.keys(peopleText.en)) {
        const text = i18n.global.t(`people.${key}`, args, { locale })
        expect([locale, key, text.includes('{') || text === `people.${key}`]).toEqual([locale, key, false])
      }
    }
    spy.mockRestore()
    warn.mockRestore()
    expect(errors).toEqual([])
    expect(i18n.global.t('people.usernameChars', {}, { locale: 'en' })).toBe('Letters, digits and . _ @ - only, no spaces')
    expect(i18n.global.t('people.seenMin', 1, { locale: 'en' })).toBe('1 minute ago')
    expect(i18n.global.t('people.seenMin', 3, { locale: 'en' })).toBe('3 minutes ago')
    expect(i18n.global.t('people.seenMin', 3, { locale: 'zh-CN' })).toBe('3 分钟前')
    expect(i18n.global.t('role.engineer', {}, { locale: 'zh-CN' })).toBe('工程师')
  })
})
