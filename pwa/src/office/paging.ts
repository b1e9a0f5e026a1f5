// A table paged on the server (complaints, customers, accounts, parts, stock movements): the rows
// of the page shown, the pager's state, and the loads that fill them.
import { reactive, ref, type Ref } from 'vue'
import { ElMessage } from 'element-plus'
import { errorText, getPage } from './api'
import { latest } from './busy'

/** The list at `path()` (read at each load, so it carries the filters then chosen), `size` rows
 * a page. Only the answer to the last load shows: a slower answer for an earlier page, search
 * or filter is dropped, and so is its failure. A failure says why, in `say`'s words (the
 * server's reason by default). */
export function pagedList<T>(path: () => string, size: number, say: (e: unknown) => string = errorText) {
  const items = ref([]) as Ref<T[]>
  const paging = reactive({ page: 1, size, total: 0 })
  /** True while the last load asked for is on its way (for the table's `v-loading`). */
  const loading = ref(false)
  const loads = latest()
  /** The page `paging.page` (the pager sets it), or the last one should the list have shrunk. */
  async function load(): Promise<void> {
    const wanted = loads.ask()
    loading.value = true
    try {
      const { page, data } = await getPage<T>(path(), paging.page, paging.size)
      if (!wanted()) return // a later page or filter was asked for meanwhile; its answer wins
      items.value = data.items
      Object.assign(paging, { page, total: data.total })
    } catch (e) {
      if (wanted()) ElMessage.error(say(e))
    } finally {
      if (wanted()) loading.value = false
    }
  }
  /** Page 1: a new search or filter, another page size. */
  function reload(): Promise<void> {
    paging.page = 1
    return load()
  }
  return { items, paging, loading, load, reload }
}
