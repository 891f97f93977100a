import type { LabelResult } from '../../labels.js';
import type { Pipeline } from '../../pipeline/pipeline.js';

export interface ChatClassifier {
  classify(conversationId: string, seq: number, text: string): Promise<LabelResult>;
}

/**
 * Chat messages go through the server's one engine, in its `chat` lane (pipeline/tier-cascade.ts):
 * no result cache (it would keep, in the clear, that a sentence was said after the
 * conversation is gone), a pool of its own so chat never queues behind a CSV, and short
 * retries; the engine's pacing (`--rpm`), circuits and counters are the API's.
 */
export function createChatClassifier(pipeline: Pipeline): ChatClassifier {
  return {
    async classify(conversationId, seq, text) {
      const [result] = await pipeline.classifyTexts([{ id: `${conversationId}/${seq}`, text }], undefined, 'chat');
      return result!;
    },
  };
}
