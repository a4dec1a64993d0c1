import { describe, expect, it } from 'vitest';
import { dictionaries } from '../src/i18n/dict';
import { format, pickLang } from '../src/i18n';

describe('i18n', () => {
  it('picks Chinese for zh-* and English otherwise', () => {
    expect(pickLang('zh-CN')).toBe('zh');
    expect(pickLang('zh-TW')).toBe('zh');
    expect(pickLang('en-US')).toBe('en');
    expect(pickLang(undefined)).toBe('en');
  });

  it('fills placeholders and leaves unknown ones', () => {
    expect(format('{n} unread, {x}', { n: 3 })).toBe('3 unread, {x}');
  });

  it('has the same placeholders in every language', () => {
    const holes = (s: string) => (s.match(/\{\w+\}/g) ?? []).sort().join();
    for (const [key, text] of Object.entries(dictionaries.en)) {
      expect(holes(dictionaries.zh[key as keyof typeof dictionaries.en]), key).toBe(holes(text));
    }
  });
});
