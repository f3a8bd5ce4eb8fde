// SETTINGS payloads (RFC 9113 §6.5): ours, from the limits, and the client's,
// checked value by value. Settings the server has no use for are skipped.
import { ErrorCode, H2Error, MAX_WINDOW, Setting } from './frames';
import type { H2Limits } from './limits';

export function encodeSettings(limits: H2Limits): Buffer {
  const settings: [number, number][] = [
    [Setting.MAX_CONCURRENT_STREAMS, limits.maxConcurrentStreams],
    [Setting.INITIAL_WINDOW_SIZE, limits.streamWindow],
    [Setting.MAX_FRAME_SIZE, limits.maxFrameSize],
    [Setting.MAX_HEADER_LIST_SIZE, limits.maxHeaderListSize],
  ];
  const payload = Buffer.alloc(settings.length * 6);
  settings.forEach(([id, value], i) => {
    payload.writeUInt16BE(id, i * 6);
    payload.writeUInt32BE(value, i * 6 + 2);
  });
  return payload;
}

/** What a client's SETTINGS change for the server; throws on values the RFC forbids. */
interface PeerSettings {
  initialWindow?: number;
  maxFrameSize?: number;
}

export function readSettings(payload: Buffer): PeerSettings {
  if (payload.length % 6 !== 0) throw new H2Error(ErrorCode.FRAME_SIZE_ERROR, 'SETTINGS length');
  const settings: PeerSettings = {};
  for (let at = 0; at < payload.length; at += 6) {
    const id = payload.readUInt16BE(at);
    const value = payload.readUInt32BE(at + 2);
    if (id === Setting.ENABLE_PUSH && value > 1) {
      throw new H2Error(ErrorCode.PROTOCOL_ERROR, `SETTINGS_ENABLE_PUSH ${value}`);
    } else if (id === Setting.INITIAL_WINDOW_SIZE) {
      if (value > MAX_WINDOW) throw new H2Error(ErrorCode.FLOW_CONTROL_ERROR, `initial window ${value}`);
      settings.initialWindow = value;
    } else if (id === Setting.MAX_FRAME_SIZE) {
      if (value < 16384 || value > 16777215) {
        throw new H2Error(ErrorCode.PROTOCOL_ERROR, `SETTINGS_MAX_FRAME_SIZE ${value}`);
      }
      settings.maxFrameSize = value;
    }
  }
  return settings;
}
