/**
 * An incremental Server-Sent Events parser (the part of EventSource the console needs: it reads
 * streams with `fetch` because EventSource cannot send the bearer token). Pure: feed it text as
 * it arrives, get complete events back.
 */
export interface SseEvent {
  event: string;
  data: string;
}

export class SseParser {
  #buffer = '';
  #event = 'message';
  #data: string[] = [];

  /** Parses `chunk` (any split of the stream) and returns the events it completed. */
  feed(chunk: string): SseEvent[] {
    const text = this.#buffer + chunk;
    const out: SseEvent[] = [];
    let start = 0;
    for (let i = 0; i < text.length; i++) {
      const char = text[i];
      if (char !== '\n' && char !== '\r') continue;
      // A CR at the very end may be the first half of a CRLF: wait for the next chunk.
      if (char === '\r' && i + 1 === text.length) break;
      const line = text.slice(start, i);
      if (char === '\r' && text[i + 1] === '\n') i++;
      start = i + 1;
      this.#line(line, out);
    }
    this.#buffer = text.slice(start);
    return out;
  }

  #line(line: string, out: SseEvent[]): void {
    if (line === '') {
      if (this.#data.length > 0) out.push({ event: this.#event, data: this.#data.join('\n') });
      this.#event = 'message';
      this.#data = [];
      return;
    }
    if (line.startsWith(':')) return;
    const colon = line.indexOf(':');
    const field = colon < 0 ? line : line.slice(0, colon);
    let value = colon < 0 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    if (field === 'event') this.#event = value;
    else if (field === 'data') this.#data.push(value);
  }
}
