// The lists the console picks from or names people by, loaded whole, page after page: the first
// page alone would drop the owners, names, sites and equipment after it without a word.
import { get, getAll } from './api'
import type { Asset, Region, Site, Team, UserRow } from './types'

/** Active office users (not engineers): who may own a complaint. */
export async function officeStaff(): Promise<UserRow[]> {
  return (await getAll<UserRow>('/api/users?active=true')).filter((u) => u.role !== 'engineer')
}

/** Every user's name by id, the inactive too: old records name them. */
export async function userNames(): Promise<Record<string, string>> {
  return Object.fromEntries((await getAll<UserRow>('/api/users')).map((u) => [u.id, u.display_name || u.username]))
}

/** A customer's sites and equipment, all of them. */
export async function placesOf(customerId: string): Promise<{ sites: Site[]; assets: Asset[] }> {
  const id = encodeURIComponent(customerId)
  const [sites, assets] = await Promise.all([
    getAll<Site>(`/api/sites?customer_id=${id}`),
    getAll<Asset>(`/api/assets?customer_id=${id}`),
  ])
  return { sites, assets }
}

/** The directory's regions (by code) and teams (by name), for names, filters and forms: none
 * when they cannot be read (a screen then shows ids and offers none, rather than failing). */
export async function directoryRegions(): Promise<Region[]> {
  return get<Region[]>('/api/directory/regions').catch(() => [])
}

export async function directoryTeams(): Promise<Team[]> {
  return get<Team[]>('/api/directory/teams').catch(() => [])
}
