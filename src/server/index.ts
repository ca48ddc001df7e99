// server/: the HTTPS/mTLS edge — request info, the handler chain, REST + watch, discovery, status.ts.
export { startApiServer, ServerError } from "./server.ts";
export type { ApiServerOptions, RunningApiServer, ServerErrorCode } from "./server.ts";
export type { CertificateRefusal, ExtraPathHandler, ExtraWriteHandler, ExtraWriteRequest } from "./extra-paths.ts";
export type { HealthCheck, HealthEndpoint, RegisteredHealthCheck } from "./handler.ts";
export type { ParseCertificate, PeerCertificate } from "./peer.ts";
export { parseRequestInfo } from "./request-info.ts";
export type { RequestInfo } from "./request-info.ts";
export { errorResponse, statusBody, toApiError, HTTP_STATUS } from "./status.ts";
export { VERSION_INFO } from "./discovery.ts";
export { decodeProtobufObject } from "./protobuf.ts";
