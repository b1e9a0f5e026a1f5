// One way to ask the engineer before an act that is easy to tap by mistake.
import { showConfirmDialog } from 'vant'
import { i18n } from './i18n'

/** Ask `message`; true when the engineer taps `confirmText`, false when they cancel. The
 * buttons are in the app's language: Vant's own default texts are always Chinese. */
export async function confirmed(message: string, confirmText: string): Promise<boolean> {
  try {
    await showConfirmDialog({
      message,
      confirmButtonText: confirmText,
      cancelButtonText: i18n.global.t('common.cancel'),
    })
    return true
  } catch {
    return false
  }
}
