// The Wings message envelope (§1): what Go's json.Unmarshal into {Event string; Args []string} accepts, and how
// Wings encodes outbound frames (args omitted when empty).

export interface InboundMessage {
  event: string;
  args: string[];
}

/** undefined = Wings silently drops the frame. */
export function decodeInbound(text: string): InboundMessage | undefined {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch {
    return undefined;
  }
  // `null` unmarshals into the zero struct without error: an event named "".
  if (value === null) return { event: '', args: [] };
  if (typeof value !== 'object' || Array.isArray(value)) return undefined;
  const msg: InboundMessage = { event: '', args: [] };
  for (const [key, v] of Object.entries(value as Record<string, unknown>)) {
    const name = key.toLowerCase();
    if (name === 'event') {
      if (v === null) continue;
      if (typeof v !== 'string') return undefined;
      msg.event = v;
    } else if (name === 'args') {
      if (v === null) {
        msg.args = [];
        continue;
      }
      if (!Array.isArray(v)) return undefined;
      const args: string[] = [];
      for (const a of v) {
        if (a === null) args.push('');
        else if (typeof a === 'string') args.push(a);
        else return undefined;
      }
      msg.args = args;
    }
  }
  return msg;
}

export function encodeOutbound(event: string, args?: readonly string[]): string {
  return args && args.length > 0 ? JSON.stringify({ event, args }) : JSON.stringify({ event });
}
