/**
 * RpcFrameSplitter: a FrameSplitter that decodes each completed payload as an RPC frame.
 * Same bounds (declared length checked against frameBytesMax before buffering) and same
 * zero-copy rule (attachments are views of the pushed chunk or of the one reassembly
 * buffer). Any DecodeError (api "RpcFrame") means the connection must be closed: frames
 * completed earlier in the same push are not returned.
 */
import { FrameSplitter } from './frame-splitter.ts';
import { defaultRpcCodec, type RpcCodec, type RpcFrame } from './rpc-frame.ts';

export interface RpcFrameSplitterOptions {
  readonly frameBytesMax: number;
  readonly codec?: RpcCodec;
  /** FrameSplitter's `assembleInto`: a reusable buffer for frames that span chunks. */
  readonly assembleInto?: (frameBytes: number) => Uint8Array | null;
}

export class RpcFrameSplitter {
  private readonly splitter: FrameSplitter;
  private readonly codec: RpcCodec;

  constructor(options: RpcFrameSplitterOptions) {
    this.splitter = new FrameSplitter({ frameBytesMax: options.frameBytesMax, api: 'RpcFrame', assembleInto: options.assembleInto });
    this.codec = options.codec ?? defaultRpcCodec;
  }

  get bufferedBytes(): number {
    return this.splitter.bufferedBytes;
  }

  push(chunk: Uint8Array): RpcFrame[] {
    return this.splitter.push(chunk).map((payload) => this.codec.decodePayload(payload));
  }
}
