import { describe, expect, it } from 'vitest'
import { latest, singleFlight } from '../src/office/busy'

describe('singleFlight', () => {
  it('sends an action once however often it is clicked while under way, and again after', async () => {
    let calls = 0
    let finish: () => void = () => undefined
    const { run, busy } = singleFlight(async () => {
      calls += 1
      await new Promise<void>((resolve) => (finish = resolve))
    })
    const first = run()
    void run() // the double click
    expect(busy.value).toBe(true)
    finish()
    await first
    expect([calls, busy.value]).toEqual([1, false])
    const again = run()
    finish()
    await again
    expect(calls).toBe(2)
  })

  it('frees the button when the action fails', async () => {
    const { run, busy } = singleFlight(async () => {
      throw new Error('refused')
    })
    await expect(run()).rejects.toThrow('refused')
    expect(busy.value).toBe(false)
  })
})

describe('latest', () => {
  it('wants only the answer to the last request, whatever order the answers come in', async () => {
    const loads = latest()
    const shown: string[] = []
    let answer: Record<string, () => void> = {}
    const load = async (who: string) => {
      const wanted = loads.ask()
      await new Promise<void>((resolve) => (answer = { ...answer, [who]: resolve }))
      if (wanted()) shown.push(who)
    }
    const a = load('A') // slow
    const b = load('B')
    answer.B()
    await b
    answer.A()
    await a
    expect(shown).toEqual(['B'])
  })

  it('wants nothing once the list is closed', () => {
    const loads = latest()
    const wanted = loads.ask()
    expect(wanted()).toBe(true)
    loads.forget()
    expect(wanted()).toBe(false)
    expect(loads.ask()()).toBe(true)
  })
})
