import type { LabelResult } from '../labels.js';
import type { ChunkClassifierOptions, ChunkCounts, EngineStats } from './chunk.js';
import type { PipelineOptions } from './pipeline.js';

/** Messages between the run loop and the engine thread (structured-cloned). */
export interface EngineInit {
  readonly pipeline: Omit<PipelineOptions, 'logger'>;
  readonly logLevel: string;
  readonly dedupeWindow?: number;
  readonly output?: ChunkClassifierOptions['output'];
}

export type EngineRequest =
  | { readonly type: 'classify'; readonly id: number; readonly texts: readonly string[] }
  | { readonly type: 'label'; readonly id: number; readonly rows: readonly (readonly unknown[])[]; readonly textIndex: number }
  | { readonly type: 'stats'; readonly id: number }
  | { readonly type: 'close'; readonly id: number };

export interface SerializedError {
  readonly code?: string;
  readonly message: string;
}

export type EngineReply =
  | { readonly type: 'ready'; readonly tierNames: readonly string[] }
  | { readonly type: 'failed'; readonly error: SerializedError }
  | { readonly type: 'results'; readonly id: number; readonly results: LabelResult[] }
  | { readonly type: 'labeled'; readonly id: number; readonly serialized: Uint8Array; readonly counts: ChunkCounts }
  | { readonly type: 'stats'; readonly id: number; readonly stats: EngineStats }
  | { readonly type: 'closed'; readonly id: number }
  | { readonly type: 'error'; readonly id: number; readonly error: SerializedError };
