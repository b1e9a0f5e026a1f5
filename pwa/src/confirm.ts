// One way to ask the engineer before an act that is easy to tap by mistake.
import { showConfirmDialog, type DialogOptions } from 'vant'
import { i18n } from './i18n'

/** Ask `message`; true when the engineer taps `confirmText`, false when they tap `cancelText`
 * (Cancel unless said; a choice between two acts names the second there). The
 * buttons are in the app's language: Vant's own default texts are always Chinese. A
 * `destructive` act (something leaves the job) has its confirm button in the danger colour,
 * so it does not read like the usual "OK". */
export async function confirmed(
  message: string,
  confirmText: string,
  destructive = false,
  cancelText: string = i18n.global.t('common.cancel'),
): Promise<boolean> {
  // Vant points the dialog's aria-labelledby at the message text, not at an element, so the
  // dialog has no name for a screen reader; an aria-label (passed through to it) gives one.
  const options: DialogOptions & { 'aria-label': string } = {
    message,
    confirmButtonText: confirmText,
    cancelButtonText: cancelText,
    'aria-label': message,
    ...(destructive ? { confirmButtonColor: 'var(--van-danger-color)' } : {}),
  }
  try {
    await showConfirmDialog(options)
    return true
  } catch {
    return false
  }
}
