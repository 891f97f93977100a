// The tokenizer.json / tokenizer_config.json pair of a model folder, in the Hugging Face
// format that Transformers.js (and Python's `tokenizers`) read. One tokenizer is shared by
// the five field folders of a model set.

import { CONTINUATION, SPECIAL_TOKENS } from './wordpiece.js';

/** Longest input in tokens; tweets are ~40, the longest fixture ~160. */
export const MAX_LENGTH = 256;

export type TokenizerJson = Readonly<Record<string, unknown>>;

/**
 * The normalizer folds typographic apostrophes, then BertNormalizer lower-cases and strips
 * accents: "Réseau", "reseau" and "RÉSEAU" meet on one token, as in the rules.
 */
export function tokenizerJson(vocab: readonly string[]): TokenizerJson {
  const id = (token: string): number => vocab.indexOf(token);
  const special = (content: string): Record<string, unknown> => ({
    id: id(content),
    content,
    single_word: false,
    lstrip: false,
    rstrip: false,
    normalized: false,
    special: true,
  });
  const cls = { SpecialToken: { id: '[CLS]', type_id: 0 } };
  const sep = { SpecialToken: { id: '[SEP]', type_id: 0 } };
  return {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: SPECIAL_TOKENS.map(special),
    normalizer: {
      type: 'Sequence',
      normalizers: [
        { type: 'Replace', pattern: { String: '’' }, content: "'" },
        { type: 'BertNormalizer', clean_text: true, handle_chinese_chars: false, strip_accents: true, lowercase: true },
      ],
    },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: {
      type: 'TemplateProcessing',
      single: [cls, { Sequence: { id: 'A', type_id: 0 } }, sep],
      pair: [cls, { Sequence: { id: 'A', type_id: 0 } }, sep, { Sequence: { id: 'B', type_id: 1 } }, { SpecialToken: { id: '[SEP]', type_id: 1 } }],
      special_tokens: Object.fromEntries(['[CLS]', '[SEP]'].map((t) => [t, { id: t, ids: [id(t)], tokens: [t] }])),
    },
    decoder: { type: 'WordPiece', prefix: CONTINUATION, cleanup: true },
    model: {
      type: 'WordPiece',
      unk_token: '[UNK]',
      continuing_subword_prefix: CONTINUATION,
      max_input_chars_per_word: 100,
      vocab: Object.fromEntries(vocab.map((token, i) => [token, i])),
    },
  };
}

export function tokenizerConfigJson(): Readonly<Record<string, unknown>> {
  return {
    tokenizer_class: 'BertTokenizer',
    do_lower_case: true,
    strip_accents: true,
    tokenize_chinese_chars: false,
    model_max_length: MAX_LENGTH,
    padding_side: 'right',
    clean_up_tokenization_spaces: true,
    pad_token: '[PAD]',
    unk_token: '[UNK]',
    cls_token: '[CLS]',
    sep_token: '[SEP]',
    mask_token: '[MASK]',
  };
}
