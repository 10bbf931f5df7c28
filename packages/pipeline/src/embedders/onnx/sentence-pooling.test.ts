import { poolingConfigPath, sentencePooling } from './sentence-pooling';

const modules = (...types: string[]) => types.map((type, idx) => ({ idx, path: type === 'Pooling' ? '1_Pooling' : '', type: `sentence_transformers.models.${type}` }));

describe('sentence pooling from a model\'s sentence-transformers files', () => {
  it('finds the Pooling module where modules.json puts it, 1_Pooling when it says nothing', () => {
    expect(poolingConfigPath([{ path: 'pool', type: 'sentence_transformers.models.Pooling' }])).toBe('pool/config.json');
    expect(poolingConfigPath(modules('Transformer', 'Pooling'))).toBe('1_Pooling/config.json');
    expect(poolingConfigPath(undefined)).toBe('1_Pooling/config.json');
  });

  it('normalises exactly when the model lists a Normalize module', () => {
    const mean = { pooling_mode_mean_tokens: true, pooling_mode_cls_token: false };
    expect(sentencePooling({ modules: modules('Transformer', 'Pooling', 'Normalize'), pooling: mean }, 'auto')).toEqual({ pooling: 'mean', normalize: true, source: 'model' });
    expect(sentencePooling({ modules: modules('Transformer', 'Pooling'), pooling: mean }, 'auto')).toEqual({ pooling: 'mean', normalize: false, source: 'model' });
  });

  it('uses mean pooling, normalised, for a model without the files, and the setting over the model', () => {
    expect(sentencePooling({}, 'auto')).toEqual({ pooling: 'mean', normalize: true, source: 'default' });
    expect(sentencePooling({ modules: modules('Transformer', 'Pooling'), pooling: { pooling_mode_cls_token: true } }, 'mean')).toEqual({ pooling: 'mean', normalize: false, source: 'setting' });
  });

  it('refuses pooling it cannot reproduce rather than embedding differently from the model', () => {
    expect(() => sentencePooling({ modules: modules('Transformer', 'Pooling'), pooling: { pooling_mode_mean_tokens: true, pooling_mode_max_tokens: true } }, 'auto')).toThrow(
      /pools with pooling_mode_mean_tokens \+ pooling_mode_max_tokens/,
    );
    expect(() => sentencePooling({ modules: modules('Transformer', 'Pooling'), pooling: {} }, 'auto')).toThrow(/pools with no mode/);
  });
});
