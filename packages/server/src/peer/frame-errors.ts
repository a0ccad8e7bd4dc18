// Malformed data from a peer. The connection it came on is closed with CloseCode.ProtocolError
// and a log line; nothing else happens with the data.
export class FrameDecodeError extends Error {}
