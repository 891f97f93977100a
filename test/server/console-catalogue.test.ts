import assert from 'node:assert/strict';
import { test } from 'node:test';
import { CATALOGUE, LOCALES, negotiateLocale, translate, type MessageKey } from '../../src/server/dashboard/client/catalogue.js';

const placeholders = (entry: string | { one: string; other: string }): string[] =>
  [...new Set([...(typeof entry === 'string' ? entry : `${entry.one} ${entry.other}`).matchAll(/\{(\w+)\}/g)].map((m) => m[1]!))].sort();

test('catalogue: every language has every key, with the same {placeholders} and the same shape', () => {
  const keys = Object.keys(CATALOGUE.en).sort();
  for (const locale of LOCALES) {
    assert.deepEqual(Object.keys(CATALOGUE[locale]).sort(), keys, `${locale} keys`);
    for (const key of keys as MessageKey[]) {
      const entry = CATALOGUE[locale][key];
      assert.equal(typeof entry, typeof CATALOGUE.en[key], `${locale} ${key}: string or plural in both`);
      assert.deepEqual(placeholders(entry), placeholders(CATALOGUE.en[key]), `${locale} ${key} placeholders`);
    }
  }
});

test('catalogue: French by default for Accept-Language fr, by q value, English otherwise', () => {
  assert.equal(negotiateLocale('fr'), 'fr');
  assert.equal(negotiateLocale('fr-FR,fr;q=0.9,en-US;q=0.8,en;q=0.7'), 'fr');
  assert.equal(negotiateLocale('en-GB,fr;q=0.5'), 'en');
  assert.equal(negotiateLocale('de-DE,fr;q=0.4,en;q=0.3'), 'fr', 'the first supported one by q');
  assert.equal(negotiateLocale('en;q=0.2,fr;q=0.8'), 'fr');
  assert.equal(negotiateLocale('fr;q=0,en'), 'en', 'q=0 means "not this one"');
  assert.equal(negotiateLocale('de'), 'en');
  assert.equal(negotiateLocale(undefined), 'en');
  assert.equal(negotiateLocale(''), 'en');
});

test('catalogue: placeholders filled, plurals picked by Intl.PluralRules per language', () => {
  assert.equal(translate('fr', 'chat.with', { name: 'claire' }), 'Conversation avec claire');
  assert.equal(translate('en', 'list.messages', { count: 1 }), '1 message');
  assert.equal(translate('en', 'list.messages', { count: 3 }), '3 messages');
  assert.equal(translate('en', 'list.messages', { count: 0 }), '0 messages');
  // French says "0 message" and "1 non lu": 0 and 1 are both singular there.
  assert.equal(translate('fr', 'list.unread', { count: 0 }), '0 non lu');
  assert.equal(translate('fr', 'list.unread', { count: 2 }), '2 non lus');
  assert.equal(translate('fr', 'status.closed'), 'résolue');
});
