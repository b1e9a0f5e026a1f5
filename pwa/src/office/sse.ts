// A server-sent events reader for fetch + ReadableStream (EventSource cannot send the
// Authorization header). The parser is pure: feed it text chunks, it returns whole events.

export interface SseEvent {
  event: string
  data: string
}

/** Incremental parser of `text/event-stream` (the WHATWG rules the board needs: `event`,
 * `data` (joined by newlines), comments, CR/LF/CRLF line ends, an event ends at a blank line). */
export class SseParser {
  private buffer = ''
  private event = ''
  private data: string[] = []

  feed(chunk: string): SseEvent[] {
    this.buffer += chunk
    const out: SseEvent[] = []
    for (;;) {
      const match = /\r\n|\r|\n/.exec(this.buffer)
      if (match === null) break
      // A lone CR at the end may be the first half of a CRLF split across chunks.
      if (match[0] === '\r' && match.index === this.buffer.length - 1) break
      const line = this.buffer.slice(0, match.index)
      this.buffer = this.buffer.slice(match.index + match[0].length)
      const done = this.line(line)
      if (done !== null) out.push(done)
    }
    return out
  }

  private line(line: string): SseEvent | null {
    if (line === '') {
      if (this.data.length === 0) {
        this.event = ''
        return null
      }
      const ev = { event: this.event || 'message', data: this.data.join('\n') }
      this.event = ''
      this.data = []
      return ev
    }
    if (line.startsWith(':')) return null
    const colon = line.indexOf(':')
    const field = colon === -1 ? line : line.slice(0, colon)
    let value = colon === -1 ? '' : line.slice(colon + 1)
    if (value.startsWith(' ')) value = value.slice(1)
    if (field === 'event') this.event = value
    else if (field === 'data') this.data.push(value)
    return null
  }
}

/** The job ids a `jobs` event names (`{"jobs": [...]}`); [] when it names none or is malformed. */
export function jobIdsOf(ev: SseEvent): string[] {
  try {
    const parsed: unknown = JSON.parse(ev.data)
    if (parsed && typeof parsed === 'object' && Array.isArray((parsed as { jobs?: unknown }).jobs)) {
      return (parsed as { jobs: unknown[] }).jobs.filter((x): x is string => typeof x === 'string')
    }
  } catch {
    // not JSON: nothing named
  }
  return []
}

export interface StreamOptions {
  open: (signal: AbortSignal) => Promise<Response>
  onEvent: (ev: SseEvent) => void
  onState?: (state: 'connecting' | 'live' | 'down') => void
  /** Milliseconds before reconnecting after the stream ends or fails. */
  retryMs?: number
}

/** Read the stream until stopped, reconnecting after a pause; returns a stop function. */
export function followStream(opts: StreamOptions): () => void {
  const controller = new AbortController()
  const retry = opts.retryMs ?? 3000
  const run = async () => {
    while (!controller.signal.aborted) {
      opts.onState?.('connecting')
      try {
        const response = await opts.open(controller.signal)
        if (!response.ok || response.body === null) throw new Error(`HTTP ${response.status}`)
        const reader = response.body.pipeThrough(new TextDecoderStream()).getReader()
        const parser = new SseParser()
        for (;;) {
          const { value, done } = await reader.read()
          if (done) break
          for (const ev of parser.feed(value)) {
            if (ev.event === 'ready') opts.onState?.('live')
            opts.onEvent(ev)
          }
        }
      } catch {
        // dropped or refused: fall through to the pause and reconnect
      }
      if (controller.signal.aborted) return
      opts.onState?.('down')
      await new Promise((resolve) => setTimeout(resolve, retry))
    }
  }
  void run()
  return () => controller.abort()
}
