import type { StreamedBodyResponse } from "../../gen/envoy/service/ext_proc/v3/external_processor_pb.js";

/**
 * A body piece that spans several received chunks. The lifecycle streams an unchanged body as
 * the views it arrived in; a piece of the outgoing chunking that crosses a chunk boundary is
 * kept as its parts, and the encoder copies the parts straight into the wire buffer. So the
 * body is never joined: the one copy is the encode's, which a protobuf message needs anyway.
 */
export interface BodyPieceSource {
  readonly length: number;
  /** copyTo writes the piece at `offset` and returns its length. */
  copyTo(target: Uint8Array, offset: number): number;
}

/** GatheredPiece is a piece made of consecutive views. */
export class GatheredPiece implements BodyPieceSource {
  private joined: Uint8Array | undefined;
  constructor(
    readonly parts: readonly Uint8Array[],
    readonly length: number,
  ) {}

  copyTo(target: Uint8Array, offset: number): number {
    let at = offset;
    for (const part of this.parts) {
      target.set(part, at);
      at += part.length;
    }
    return this.length;
  }

  /** bytes joins the parts once, for a reader of the message (tests, the admin Evaluate). */
  bytes(): Uint8Array {
    if (!this.joined) {
      const out = new Uint8Array(this.length);
      this.copyTo(out, 0);
      this.joined = out;
    }
    return this.joined;
  }
}

const GATHERED = Symbol("gathered body piece");

/**
 * gatheredBodyResponse is a StreamedBodyResponse whose body is `piece`: the encoder reads the
 * parts; anyone reading `body` gets them joined (once). The marker is not enumerable, so the
 * message compares equal to one built with create().
 */
export function gatheredBodyResponse(piece: GatheredPiece, endOfStream: boolean): StreamedBodyResponse {
  const message = {
    $typeName: "envoy.service.ext_proc.v3.StreamedBodyResponse" as const,
    get body(): Uint8Array {
      return piece.bytes();
    },
    endOfStream,
    endOfStreamWithoutMessage: false,
    grpcMessageCompressed: false,
  };
  Object.defineProperty(message, GATHERED, { value: piece, enumerable: false });
  return message as StreamedBodyResponse;
}

/** gatheredPieceOf is the piece behind a gathered StreamedBodyResponse, else undefined. */
export function gatheredPieceOf(message: StreamedBodyResponse): GatheredPiece | undefined {
  return (message as { [GATHERED]?: GatheredPiece })[GATHERED];
}
