import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cleanTweet } from '../../src/clean/clean-tweet.js';

describe('cleanTweet: removing noise', () => {
  it('removes URLs and @mentions but keeps e-mail addresses', () => {
    const { text } = cleanTweet('@Freebox toujours en panne https://t.co/abc123 voir www.free.fr/x et écrire à moi@exemple.fr');
    assert.equal(text, 'toujours en panne voir et écrire à moi@exemple.fr');
  });

  it('keeps the word of a hashtag, or drops it with keepHashtags: false', () => {
    assert.equal(cleanTweet('encore une #panne #Free').text, 'encore une panne Free');
    assert.equal(cleanTweet('encore une #panne #Free', { keepHashtags: false }).text, 'encore une');
  });

  it('decodes named and numeric HTML entities', () => {
    const { text } = cleanTweet('pop &amp; delta &lt;3 &gt; &quot;box&quot; l&#39;offre &#x27;ok&#x27; &#233;t&#233;');
    assert.equal(text, `pop & delta <3 > "box" l'offre 'ok' été`);
  });

  it('turns emoji, flags, skin tones and joiners into spaces', () => {
    assert.equal(cleanTweet('merci 👍🏽 free 🇫🇷 ▶️ ok 👨‍👩‍👧 fin').text, 'merci free ok fin');
  });

  it('applies NFKC and collapses whitespace', () => {
    assert.equal(cleanTweet('  ﬁbre\u00a0\u00a0 ｏｋ…\n\tla  box  ').text, 'fibre ok... la box');
  });

  it('keeps accents and case in text, folds them in folded', () => {
    const tweet = cleanTweet('Réseau coupé à Noël, l’œil du cœur');
    assert.equal(tweet.text, 'Réseau coupé à Noël, l’œil du cœur');
    assert.equal(tweet.folded, "reseau coupe a noel, l'oeil du coeur");
  });
});

describe('cleanTweet: the mangled newlines of the sample data', () => {
  it('repairs newlines glued as a bare n where no French word can be meant', () => {
    assert.equal(cleanTweet('nnpourquoi depuis hier').text, 'pourquoi depuis hier');
    assert.equal(cleanTweet('bonjour,nje ne reçois plus').text, 'bonjour, je ne reçois plus');
    assert.equal(cleanTweet('plus de box.nje vous ai écrit ?nnmerci').text, 'plus de box. je vous ai écrit ? merci');
    assert.equal(cleanTweet('quoi ?non me dit rien').text, 'quoi ? on me dit rien');
  });

  it('leaves real words that start or contain n alone', () => {
    for (const text of ['nous ne savons pas', 'annuler la commande', 'le nro est en panne', 'non merci', 'connexion instable']) {
      assert.equal(cleanTweet(text).text, text);
    }
  });
});

describe('cleanTweet: retweets and canned replies', () => {
  it('detects retweets by their "rt" prefix', () => {
    assert.equal(cleanTweet('RT @Freebox: nouvelle chaîne').isRetweet, true);
    assert.equal(cleanTweet('rt : disponible sur le canal 101').isRetweet, true);
    assert.equal(cleanTweet('art de la panne').isRetweet, false);
  });

  it("detects the operator's canned replies, accents or not", () => {
    const canned = [
      "bonjour,nnla messagerie privée x n’est plus disponible. nretrouvez-moi dès à présent sur messenger :n▶️ sommes également disponibles via d'autres canaux :n▶️ - free",
      'la messagerie privee x n’est plus disponible, et nous en sommes desoles toto &gt; nou via',
      'bonjour toto,nnje comprends votre interrogation, sachez que si votre compte est concerné, vous avez reçu ou recevrez rapidement un email de free.',
      "je suis ravi que tout soit rentré dans l'ordre, et que vous puissiez à nouveau profiter de vos services nnje vous souhaite une bonne journée,nguillaume - free",
    ];
    for (const text of canned) assert.equal(cleanTweet(text).isCanned, true, text);
  });

  it('does not take a customer mentioning messenger for a canned reply', () => {
    assert.equal(cleanTweet("j'ai écrit sur messenger et personne ne répond").isCanned, false);
  });
});
