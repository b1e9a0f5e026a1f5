// One action at a time per button: a double click (or Enter pressed twice) while the first
// request is under way must not send the action twice.
import { ref, type Ref } from 'vue'

/** `fn` wrapped so that a call while an earlier one is still running does nothing; `busy` is
 * true meanwhile (for the button's `loading`). */
export function singleFlight<A extends unknown[]>(fn: (...args: A) => Promise<void>): {
  run: (...args: A) => Promise<void>
  busy: Ref<boolean>
} {
  const busy = ref(false)
  const run = async (...args: A) => {
    if (busy.value) return
    busy.value = true
    try {
      await fn(...args)
    } finally {
      busy.value = false
    }
  }
  return { run, busy }
}

/** For a list asked for again and again (a search as you type, another page, another person's
 * devices): `ask()` at each request gives a check that stays true only until the next `ask()`
 * or `forget()` (the list closed), so a slower answer to an older request is dropped rather
 * than shown over a newer one, or under a dialog that now shows something else. */
export function latest(): { ask: () => () => boolean; forget: () => void } {
  let asked = 0
  return {
    ask: () => {
      const mine = ++asked
      return () => mine === asked
    },
    forget: () => {
      asked++
    },
  }
}
