import fs from 'node:fs';
import path from 'node:path';
import { onnx } from 'onnx-proto';

/**
 * A sentence-embedding model small enough to build in a test, laid out as
 * on the Hugging Face Hub (config.json, tokenizer.json,
 * tokenizer_config.json, onnx/model.onnx and the sentence-transformers
 * pooling files), so the onnx embedder's real loading, tokenising, pooling
 * and normalising run on it.
 *
 * BERT-shaped: input_ids, attention_mask and token_type_ids in,
 * last_hidden_state out. The "encoder" is an embedding table (a Gather), in
 * which words of one topic point the same way: "employer" is near "works"
 * and "job", "dog" near "pet", so search by meaning can be checked without
 * a shared word.
 */
export const TOPICS: Record<string, string[]> = {
  career: ['works', 'work', 'job', 'employer', 'employed', 'engineer', 'google', 'company', 'office', 'promoted', 'career'],
  pets: ['dog', 'dogs', 'pet', 'pets', 'cat', 'puppy', 'walks', 'vet'],
  food: ['eggs', 'allergic', 'food', 'eat', 'eats', 'cooking', 'pasta', 'diet'],
  travel: ['trip', 'travel', 'flight', 'lisbon', 'holiday', 'visit', 'fly'],
};
const FILLER = ['user', 'the', 'a', 'at', 'as', 'is', 'does', 'where', 'what', 'has', 'have', 'named', 'to', 'of', 'and', 'in', 'my', 'i', 'senior', 'susie', 'who'];
const SPECIAL = ['[PAD]', '[UNK]', '[CLS]', '[SEP]', '[MASK]'];

export interface TinyModelOptions {
  /** Sentence-transformers pooling; `none` writes no pooling files (mean is the embedder's default then). */
  pooling?: 'mean' | 'cls' | 'none';
  /** Whether modules.json lists a Normalize module. */
  normalize?: boolean;
}

export interface TinyModel {
  dir: string;
  hiddenSize: number;
  vocab: string[];
  /** The table row of a token: what the model outputs for it. */
  row(token: string): number[];
}

const HIDDEN = 12;

/** A deterministic row: the topic's direction plus a little of the word's own. */
function rowFor(token: string, index: number): number[] {
  const topic = Object.keys(TOPICS).findIndex((t) => TOPICS[t]!.includes(token));
  return Array.from({ length: HIDDEN }, (_, d) => {
    const own = Math.sin((index + 1) * (d + 1) * 1.7) * 0.25;
    if (topic >= 0) return (d === topic * 2 || d === topic * 2 + 1 ? 2 : 0) + own;
    // Words of no topic sit in the last dimensions, with a smaller norm: they matter less after pooling.
    return (d >= 8 ? 0.5 : 0) + own * 0.5;
  });
}

export function buildTinyEmbeddingModel(dir: string, options: TinyModelOptions = {}): TinyModel {
  // Special tokens get a short row of their own, so [CLS]/[SEP] barely move a mean.
  const vocab = [...SPECIAL, ...FILLER, ...Object.values(TOPICS).flat(), '##s', '##ing', '##ed'];
  const rows = vocab.map((token, i) => (SPECIAL.includes(token) ? Array.from({ length: HIDDEN }, (_, d) => (d === HIDDEN - 1 ? 0.3 : 0)) : rowFor(token, i)));

  fs.mkdirSync(path.join(dir, 'onnx'), { recursive: true });
  const int64Input = (name: string) => ({
    name,
    type: { tensorType: { elemType: onnx.TensorProto.DataType.INT64, shape: { dim: [{ dimParam: 'batch_size' }, { dimParam: 'sequence_length' }] } } },
  });
  const model = onnx.ModelProto.create({
    irVersion: 8,
    producerName: 'mnemo-test',
    opsetImport: [{ domain: '', version: 13 }],
    graph: {
      name: 'tiny-bert',
      initializer: [{ name: 'embeddings', dims: [vocab.length, HIDDEN], dataType: onnx.TensorProto.DataType.FLOAT, floatData: rows.flat() }],
      node: [{ opType: 'Gather', input: ['embeddings', 'input_ids'], output: ['last_hidden_state'], name: 'lookup', attribute: [{ name: 'axis', i: 0, type: onnx.AttributeProto.AttributeType.INT }] }],
      input: [int64Input('input_ids'), int64Input('attention_mask'), int64Input('token_type_ids')],
      output: [
        {
          name: 'last_hidden_state',
          type: {
            tensorType: {
              elemType: onnx.TensorProto.DataType.FLOAT,
              shape: { dim: [{ dimParam: 'batch_size' }, { dimParam: 'sequence_length' }, { dimValue: HIDDEN }] },
            },
          },
        },
      ],
    },
  });
  fs.writeFileSync(path.join(dir, 'onnx', 'model.onnx'), onnx.ModelProto.encode(model).finish());

  const special = (token: string) => ({ id: vocab.indexOf(token), content: token, single_word: false, lstrip: false, rstrip: false, normalized: false, special: true });
  const cls = { SpecialToken: { id: '[CLS]', type_id: 0 } };
  const sep = { SpecialToken: { id: '[SEP]', type_id: 0 } };
  const tokenizer = {
    version: '1.0',
    truncation: null,
    padding: null,
    added_tokens: SPECIAL.map(special),
    normalizer: { type: 'BertNormalizer', clean_text: true, handle_chinese_chars: true, strip_accents: null, lowercase: true },
    pre_tokenizer: { type: 'BertPreTokenizer' },
    post_processor: {
      type: 'TemplateProcessing',
      single: [cls, { Sequence: { id: 'A', type_id: 0 } }, sep],
      pair: [cls, { Sequence: { id: 'A', type_id: 0 } }, sep, { Sequence: { id: 'B', type_id: 1 } }, { SpecialToken: { id: '[SEP]', type_id: 1 } }],
      special_tokens: {
        '[CLS]': { id: '[CLS]', ids: [vocab.indexOf('[CLS]')], tokens: ['[CLS]'] },
        '[SEP]': { id: '[SEP]', ids: [vocab.indexOf('[SEP]')], tokens: ['[SEP]'] },
      },
    },
    decoder: { type: 'WordPiece', prefix: '##', cleanup: true },
    model: {
      type: 'WordPiece',
      unk_token: '[UNK]',
      continuing_subword_prefix: '##',
      max_input_chars_per_word: 100,
      vocab: Object.fromEntries(vocab.map((token, i) => [token, i])),
    },
  };
  const json = (file: string, value: unknown) => {
    fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
    fs.writeFileSync(path.join(dir, file), JSON.stringify(value, null, 2));
  };
  json('tokenizer.json', tokenizer);
  json('tokenizer_config.json', {
    tokenizer_class: 'BertTokenizer',
    do_lower_case: true,
    model_max_length: 512,
    pad_token: '[PAD]',
    unk_token: '[UNK]',
    cls_token: '[CLS]',
    sep_token: '[SEP]',
    mask_token: '[MASK]',
  });
  json('config.json', {
    architectures: ['BertModel'],
    model_type: 'bert',
    hidden_size: HIDDEN,
    vocab_size: vocab.length,
    num_attention_heads: 1,
    num_hidden_layers: 1,
    intermediate_size: HIDDEN,
    max_position_embeddings: 512,
    type_vocab_size: 2,
    pad_token_id: 0,
  });

  const pooling = options.pooling ?? 'mean';
  if (pooling !== 'none') {
    json('modules.json', [
      { idx: 0, name: '0', path: '', type: 'sentence_transformers.models.Transformer' },
      { idx: 1, name: '1', path: '1_Pooling', type: 'sentence_transformers.models.Pooling' },
      ...(options.normalize ? [{ idx: 2, name: '2', path: '2_Normalize', type: 'sentence_transformers.models.Normalize' }] : []),
    ]);
    json('1_Pooling/config.json', {
      word_embedding_dimension: HIDDEN,
      pooling_mode_cls_token: pooling === 'cls',
      pooling_mode_mean_tokens: pooling === 'mean',
      pooling_mode_max_tokens: false,
      pooling_mode_mean_sqrt_len_tokens: false,
    });
  }
  return { dir, hiddenSize: HIDDEN, vocab, row: (token) => rows[vocab.indexOf(token)]! };
}
