import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { cleanTweet } from '../../src/clean/clean-tweet.js';
import { labelStrings, TRAINED_FIELDS, type ScoredLabels } from '../../src/labels.js';
import { classifyByRules } from '../../src/rules/classify-by-rules.js';

function classify(raw: string): ScoredLabels {
  return classifyByRules(cleanTweet(raw));
}

/** The trained labels as "is_claim/sentiment/topic/incident/urgency". */
function summary(raw: string): string {
  const strings = labelStrings(classify(raw));
  return TRAINED_FIELDS.map((f) => strings[f]).join('/');
}

describe('classifyByRules: outages and urgency', () => {
  it('makes a total loss of service a high-urgency fibre outage claim', () => {
    assert.equal(summary("je n'ai plus internet, la box est bloquée à l'étape 2"), 'true/negative/fibre/outage/high');
  });

  it('makes a problem lasting days high urgency', () => {
    for (const text of ['ça rame depuis 3 jours', 'mon débit est ridicule, ça fait une semaine', 'toujours aucune réponse depuis 15 jours']) {
      assert.equal(classify(text).urgency, 'high', text);
    }
  });

  it('makes repeated cuts an outage of medium urgency, not slowness', () => {
    const labels = classify('des coupures toutes les 5 min, ça devient pénible');
    assert.equal(labels.incident, 'outage');
    assert.equal(labels.urgency, 'medium');
  });

  it('names the mobile network when mobile words dominate', () => {
    assert.equal(classify('plus de réseau 4g sur mon forfait mobile depuis ce matin').topic, 'mobile');
  });

  it('lets the product win over slow support', () => {
    const labels = classify("pas d'internet depuis 15 jours et aucun technicien, impossible de vous joindre");
    assert.equal(labels.topic, 'fibre');
    assert.equal(labels.incident, 'outage');
  });
});

describe('classifyByRules: who is speaking', () => {
  it("labels the operator's canned replies false/neutral/customer_service/none/low", () => {
    const canned = "bonjour,nnla messagerie privée x n’est plus disponible. nretrouvez-moi dès à présent sur messenger :n▶️ sommes également disponibles via d'autres canaux :n▶️ - free";
    assert.equal(summary(canned), 'false/neutral/customer_service/none/low');
  });

  it('gives a canned reply the topic it names', () => {
    const base = "la messagerie privée x n’est plus disponible. retrouvez-moi dès à présent sur messenger pour faire un point sur";
    assert.equal(classify(`${base} les factures`).topic, 'billing');
    assert.equal(classify(`${base} votre coupure`).topic, 'fibre');
    assert.equal(classify(`${base} le replay`).topic, 'tv');
  });

  it('labels outage bots and operator notices false/neutral/outage/medium', () => {
    const bot = 'panne freebox en coursn 20 freenautes ont signalé des pannes internet sur le réseau fibre de free depuis 18h15nvilles concernées : meaux';
    assert.equal(summary(bot), 'false/neutral/fibre/outage/medium');
    const downdetector = 'à parce-que débit très instable, … nnfree en france: vitesse, performances, pannes et commentaires des utilisateurs';
    assert.equal(classify(downdetector).is_claim, false);
    const notice = 'rt : une rupture de fibre entraîne des perturbations de service sur une partie de strasbourg';
    assert.equal(summary(notice), 'false/neutral/fibre/outage/medium');
  });

  it('labels operator promotions false, none, low, positive when enthusiastic', () => {
    assert.equal(summary('rt : disponible sur le canal 101 avec les freebox compatibles'), 'false/neutral/fibre/none/low');
    const contest = summary('un jeu-concours fort sympa ! pour participer, c’est ici');
    assert.match(contest, /^false\/positive\/\w+\/none\/low$/);
  });
});

describe('classifyByRules: claims without a failure', () => {
  it('makes a rant a claim with no incident', () => {
    assert.equal(summary("free c'est nul"), 'true/negative/other/none/low');
    assert.equal(summary('quelle arnaque cette box'), 'true/negative/fibre/none/low');
  });

  it('does not make "aucun souci" or "pas de problème" a claim', () => {
    for (const text of ['aucun souci avec ma box depuis des années', 'pas de problème, tout fonctionne']) {
      assert.equal(classify(text).is_claim, false, text);
    }
  });

  it('does not make a plain question a claim', () => {
    assert.equal(summary("bonjour, quelle est la démarche pour résilier l'option tv ?"), 'false/neutral/tv/none/low');
  });
});

describe('classifyByRules: confidence', () => {
  it('is high when strong cues fired and low when the rules fell back to defaults', () => {
    const strong = classify("plus d'internet depuis 3 jours, la box est hs");
    const canned = classify('la messagerie privée x n’est plus disponible, retrouvez-nous dès à présent sur messenger');
    const fallback = classify('voilà voilà');
    assert.ok(strong.confidence >= 0.75, `strong ${strong.confidence}`);
    assert.ok(canned.confidence >= 0.9, `canned ${canned.confidence}`);
    assert.ok(fallback.confidence <= 0.5, `fallback ${fallback.confidence}`);
    assert.ok(strong.confidence > fallback.confidence);
  });

  it('always answers with values of the taxonomy that satisfy its consistency rules', () => {
    for (const text of ['', '?', '🙂', 'ok', 'panne', 'a'.repeat(5000), '1234567890123 jours']) {
      const labels = classify(text);
      assert.ok(labels.confidence > 0 && labels.confidence <= 1);
      if (labels.incident === 'none') assert.equal(labels.urgency, 'low');
    }
  });
});
