/**
 * EncodeError: a message cannot be encoded at the requested version.
 *
 * Thrown by the generated `size*` functions (they validate before anything is written):
 * a non-ignorable field set to a non-default value in a version that lacks it, null in a
 * field that is not nullable in that version, an int64 outside the safe-integer range, a
 * string longer than its length prefix allows, or a malformed uuid. It is a programmer or
 * caller error, never caused by bytes from the wire.
 */
export class EncodeError extends Error {
  override readonly name = 'EncodeError';
  readonly api: string;
  readonly version: number;
  readonly path: string;
  constructor(api: string, version: number, path: string, detail: string) {
    super(`${api} v${version}${path ? ` at ${path}` : ''}: ${detail}`);
    this.api = api;
    this.version = version;
    this.path = path;
  }
}
