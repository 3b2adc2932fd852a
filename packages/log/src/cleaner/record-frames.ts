/**
 * Walks the raw records of an (uncompressed) records section without decoding them into
 * objects: the cleaner needs each record's byte range (to copy it unchanged), its offset
 * delta, its key's byte range and whether its value is null (a tombstone).
 *
 * Record layout (Kafka record v2, varints zigzag):
 *   length varint | attributes int8 | timestampDelta varlong | offsetDelta varint
 *   keyLength varint (−1 = null) | key | valueLength varint (−1 = null) | value | headers…
 *
 * Copying records byte for byte keeps their timestamp and offset deltas exact, so a
 * cleaned batch keeps its baseOffset, baseTimestamp and lastOffsetDelta and every
 * surviving record keeps its offset and timestamp.
 *
 * Allocation-free: one mutable {@link RecordFrame} is reused for every record, so the
 * visitor must copy what it keeps. Throws {@link CorruptRecordsError} on bad framing
 * (the log validated these bytes on append, so this means corruption on disk).
 */

export class CorruptRecordsError extends Error {
  override readonly name = 'CorruptRecordsError';
  readonly code = 'corrupt-records';
}

export interface RecordFrame {
  /** Byte range of the whole record, length prefix included. */
  start: number;
  end: number;
  /** Where the record body (attributes onwards) starts, after the length prefix. */
  bodyStart: number;
  /** Where offsetDelta starts, right after timestampDelta. */
  offsetDeltaStart: number;
  offsetDelta: number;
  timestampDelta: number;
  /** Key byte range; keyStart is −1 for a null key. */
  keyStart: number;
  keyEnd: number;
  valueIsNull: boolean;
}

/** Zigzag varint/varlong decoder over one buffer with a cursor; throws on bad input. */
class Cursor {
  readonly b: Uint8Array;
  pos: number;
  end: number;
  constructor(b: Uint8Array, start: number, end: number) {
    this.b = b;
    this.pos = start;
    this.end = end;
  }

  varlong(): number {
    let raw = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new CorruptRecordsError('truncated varint');
      const byte = this.b[this.pos++]!;
      raw += (byte & 0x7f) * scale;
      if (byte < 0x80) {
        if (raw > Number.MAX_SAFE_INTEGER) throw new CorruptRecordsError('varint beyond 2^53');
        return raw % 2 === 0 ? raw / 2 : -(raw + 1) / 2;
      }
      scale *= 128;
    }
    throw new CorruptRecordsError('over-long varint');
  }
}

/**
 * Calls `visit` for each of the `recordCount` records in `section[start, end)`. The frame
 * is only valid during the call. Throws if the records do not exactly fill the range.
 */
export function forEachRecordFrame(section: Uint8Array, start: number, end: number, recordCount: number, visit: (frame: RecordFrame) => void): void {
  const c = new Cursor(section, start, end);
  const frame: RecordFrame = { start: 0, end: 0, bodyStart: 0, offsetDeltaStart: 0, offsetDelta: 0, timestampDelta: 0, keyStart: -1, keyEnd: -1, valueIsNull: false };
  for (let i = 0; i < recordCount; i++) {
    frame.start = c.pos;
    c.end = end;
    const length = c.varlong();
    if (length < 6 || length > end - c.pos) throw new CorruptRecordsError(`record ${i}: length ${length}`);
    const recordEnd = c.pos + length;
    c.end = recordEnd;
    frame.bodyStart = c.pos;
    c.pos++; // attributes
    frame.timestampDelta = c.varlong();
    frame.offsetDeltaStart = c.pos;
    frame.offsetDelta = c.varlong();
    const keyLength = c.varlong();
    if (keyLength < -1 || keyLength > recordEnd - c.pos) throw new CorruptRecordsError(`record ${i}: key length ${keyLength}`);
    frame.keyStart = keyLength < 0 ? -1 : c.pos;
    frame.keyEnd = keyLength < 0 ? -1 : c.pos + keyLength;
    if (keyLength > 0) c.pos += keyLength;
    const valueLength = c.varlong();
    if (valueLength < -1 || valueLength > recordEnd - c.pos) throw new CorruptRecordsError(`record ${i}: value length ${valueLength}`);
    frame.valueIsNull = valueLength < 0;
    frame.end = recordEnd;
    visit(frame);
    c.pos = recordEnd;
  }
  if (c.pos !== end) throw new CorruptRecordsError(`records end at ${c.pos}, section at ${end}`);
}
