import type { LabelResult } from '../../labels.js';
import type { Logger } from '../../log.js';
import { createClassifier } from '../../pipeline/classify.js';
import type { Pipeline } from '../../pipeline/pipeline.js';

export interface ChatClassifier {
  classify(conversationId: string, seq: number, text: string): Promise<LabelResult>;
}

/**
 * The pipeline's cleaner and tiers, without its result cache: the cache is keyed by a hash of
 * the cleaned text and would keep, in the clear, that a given sentence was said (and its
 * labels) after the conversation is gone. The tiers are shared with /api/classify; only the
 * cache lookup and store are skipped. Its own p-limit keeps chat from queueing behind a CSV.
 * Nothing to close: the tiers belong to the pipeline, which closes them.
 */
export function createChatClassifier(pipeline: Pipeline, logger: Logger): ChatClassifier {
  const classifier = createClassifier({ tiers: pipeline.tiers, cache: undefined, concurrency: 2, logger });
  return {
    async classify(conversationId, seq, text) {
      const [result] = await classifier.classify([pipeline.toItem({ id: `${conversationId}/${seq}`, text })]);
      return result!;
    },
  };
}
