// The TLS peer chain, parsed once per connection. The handshake requests a client certificate but
// never rejects one (reference kubectl-protocol.md §10.15: kubectl loops on resets otherwise); the
// authenticator verifies it per request and a bad one becomes a 401, never anonymous (authn §1.4).
// Parsing is injected (server/ may not import pki/); main/ passes pki's parseCertificateDer.
import type { TLSSocket, DetailedPeerCertificate } from "node:tls";
import type { Socket } from "node:net";
import type { AuthenticationResult, PresentedCredentials } from "../auth/index.ts";

export type PeerCertificate = PresentedCredentials["peerCertificates"][number];
export type ParseCertificate = (der: Uint8Array) => PeerCertificate;

/** A parsed chain (leaf first), or the reason it could not be parsed. */
export type PeerChain = { readonly ok: true; readonly chain: readonly PeerCertificate[] } | { readonly ok: false; readonly reason: string };

interface SocketState {
  readonly peer: PeerChain;
  /** Authentication of the certificate alone (no bearer token), reused until `authUntil`. */
  auth?: AuthenticationResult;
  authUntil?: number;
}

const states = new WeakMap<Socket, SocketState>();
const NO_CHAIN: PeerChain = { ok: true, chain: [] };

function isTls(socket: Socket): socket is TLSSocket {
  return (socket as TLSSocket).encrypted === true;
}

/** Raw DER of the presented chain: leaf, then what the client sent after it (self-loops and repeats dropped). */
function presentedDer(socket: TLSSocket): Buffer[] {
  const out: Buffer[] = [];
  let cert = socket.getPeerCertificate(true) as DetailedPeerCertificate | Record<string, never>;
  while (cert && "raw" in cert && cert.raw) {
    if (out.some((d) => d.equals(cert.raw))) break;
    out.push(cert.raw);
    cert = cert.issuerCertificate;
  }
  return out;
}

function parseChain(socket: Socket, parse: ParseCertificate): PeerChain {
  if (!isTls(socket)) return NO_CHAIN;
  const ders = presentedDer(socket);
  if (ders.length === 0) return NO_CHAIN;
  try {
    return { ok: true, chain: ders.map((d) => parse(new Uint8Array(d.buffer, d.byteOffset, d.byteLength))) };
  } catch (err) {
    return { ok: false, reason: `cannot parse the client certificate: ${err instanceof Error ? err.message : String(err)}` };
  }
}

export function socketState(socket: Socket, parse: ParseCertificate): SocketState {
  let s = states.get(socket);
  if (s === undefined) {
    s = { peer: parseChain(socket, parse) };
    states.set(socket, s);
  }
  return s;
}
