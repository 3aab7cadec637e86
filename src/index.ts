/** vas-frame-export: the reader side for AI processes, and the format definition. */
export { FrameReader, type ExportInfo, type ExportStatus, type FrameReaderOptions, type SlotRead } from './reader/frame-reader';
export { nv12ToRgb, toRgb, type Nv12Layout } from './reader/nv12-to-rgb';
export type { Frame, FrameMeta } from './meta/frame-meta';
export type { ExportHeader, ExportStatusBlock } from './meta/meta-decoder';
export * as layout from './layout/frame-export-layout';
export { CAMERA_ID_PATTERN } from './config/camera-id';
