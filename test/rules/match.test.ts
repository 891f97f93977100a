import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cleanTweet } from '../../src/clean/clean-tweet.js';
import { compileLexicon, expandTerm } from '../../src/rules/compile.js';
import { CUE, matchCues, type Cue } from '../../src/rules/match.js';

/** How many times a cue fires on a raw tweet, after cleaning. */
function count(raw: string, cue: Cue): number {
  return matchCues(cleanTweet(raw).folded).counts[CUE[cue]] ?? 0;
}

describe('matchCues: whole words on folded text', () => {
  it('does not find "nul" inside "annuler"', () => {
    assert.equal(count('je veux annuler mon rendez-vous', 'anger'), 0);
    assert.equal(count("free c'est nul", 'anger'), 1);
  });

  it('matches "réseau" written with or without its accent, in any case', () => {
    for (const text of ['plus de réseau', 'plus de reseau', 'PLUS DE RÉSEAU']) assert.equal(count(text, 'outageTotal'), 1, text);
  });

  it('matches accented lexicon terms in unaccented tweets and the reverse', () => {
    assert.equal(count('mon débit est faible', 'slowness'), count('mon debit est faible', 'slowness'));
    assert.ok(count('prelevement en double', 'billingIssue') > 0);
    assert.ok(count('télécommande cassée', 'device') > 0);
  });

  it('reads elisions and hyphens either way', () => {
    assert.equal(count("plus d'internet", 'outageTotal'), 1);
    assert.equal(count('plus d internet', 'outageTotal'), 1);
    assert.ok(count('mon wi-fi', 'fibre') > 0 && count('mon wifi', 'fibre') > 0);
  });

  it('counts overlapping cues: "j\'ai plus" and "plus d\'internet"', () => {
    assert.equal(count("j'ai plus d'internet", 'firstPerson'), 1);
    assert.equal(count("j'ai plus d'internet", 'outageTotal'), 1);
    assert.equal(count("j'ai plus d'internet", 'fibre'), 1);
  });
});

describe('matchCues: negation', () => {
  it('hides the problem inside "pas de problème" / "aucun souci" / "plus de coupure"', () => {
    for (const text of ['pas de problème avec la box', 'aucun souci depuis hier', 'plus de coupure depuis le changement']) {
      assert.equal(count(text, 'noProblem'), 1, text);
      assert.equal(count(text, 'problem') + count(text, 'outage'), 0, text);
    }
  });

  it('reads "plus de connexion" as an outage, not a negation', () => {
    assert.equal(count('plus de connexion depuis ce matin', 'outageTotal'), 1);
    assert.equal(count('plus de connexion depuis ce matin', 'noProblem'), 0);
  });
});

describe('matchCues: durations', () => {
  it('finds multi-day durations in their usual forms', () => {
    for (const text of ['depuis 3 jours', 'ça fait une semaine', 'depuis hier soir', 'depuis 15 jours', 'depuis 48h', 'deux semaines sans rien']) {
      assert.equal(count(text, 'longDuration') > 0, true, text);
    }
  });

  it('tells a day from an hour: "depuis 3h" is today, "depuis 3 jours" is not', () => {
    assert.equal(count('depuis 3h', 'longDuration'), 0);
    assert.equal(count('depuis 3h', 'sinceToday'), 1);
    assert.equal(count('depuis 3 jours', 'sinceToday'), 0);
  });
});

describe('compileLexicon', () => {
  it('expands groups, optional groups and optional letters', () => {
    assert.deepEqual(expandTerm('coupee? (a|b c)?').sort(), ['coupe ', 'coupe a', 'coupe b c', 'coupee ', 'coupee a', 'coupee b c'].sort());
  });

  it('rejects a stem that is not the last word of its term', () => {
    assert.throws(() => compileLexicon([{ bad: ['répond* pas'] }]), /last word/);
  });

  it('rejects a literal number the matcher cannot tell apart', () => {
    assert.throws(() => compileLexicon([{ bad: ['depuis 3 jours'] }]), /write #/);
  });
});
