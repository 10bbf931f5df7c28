/** What the onnx embedder and its worker thread say to each other. */

export interface WorkerSettings {
  /** An absolute model directory or a Hub id. */
  ref: string;
  cacheDir: string;
  hubUrl: string;
  downloads: boolean;
  dtype: string;
  pooling: 'mean' | 'cls';
  normalize: boolean;
}

export interface ToWorker {
  id: number;
  texts: string[];
}

export type FromWorker =
  | { type: 'progress'; loaded: number; total: number }
  | { type: 'ready'; dimension: number }
  | { type: 'failed'; message: string }
  /** The batch's vectors, row after row, in one buffer handed over rather than copied. */
  | { type: 'vectors'; id: number; data: Float32Array; dimension: number }
  | { type: 'error'; id: number; message: string };
