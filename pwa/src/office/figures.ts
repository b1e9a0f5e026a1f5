// The figures page's rules (docs/figures.md). Pure: Figures.vue words what these return.
import type { MonthFigures } from './types'

/** Whether a period has jobs to chart: one reported or completed in it. Without any, the charts
 * (jobs and hours per engineer) would be empty frames; the page says so instead, and the table
 * still shows what the period holds (a complaint, a rating). */
export function hasJobs(figures: Pick<MonthFigures, 'total'>): boolean {
  return figures.total.jobs_reported > 0 || figures.total.jobs_completed > 0
}
