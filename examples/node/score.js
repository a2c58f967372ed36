#!/usr/bin/env node
/*
 * Score Chinese e-commerce feedback with the exported feedback-zh-ngram graph
 * from Node.js: no Python involved.
 *
 * The featuriser is re-implemented here from the rule in docs/FEATURES.md
 * (normalise -> digits to 0 -> char 1..3-grams -> vocabulary -> sublinear TF x IDF
 * -> L2 norm); the graph (model.onnx, written by
 * `python -c "from feedback_nlp.export import export_onnx; export_onnx('models/feedback-zh-ngram')"`)
 * turns the features into per-task probabilities, and the decision stage below turns
 * those into the decisions FeedbackAnalyzer.load() makes: the combiners of model.json
 * (spam, issue gate, severity) over the heads and the readable evidence, whose patterns
 * come from decision_rules.json (written by feedback_nlp.host_rules beside the graph, so
 * the Python rules stay their only source), the operating points, the routing table.
 * With --heads-only it applies the heads' own thresholds instead (head_thresholds), as
 * FeedbackAnalyzer.load(decisions=False) does. Not here: flood marking across a batch
 * (analyze_batch(detect_floods=True)) and custom tasks.
 *
 * Usage:
 *   node score.js [--model DIR] [--normalized] [--heads-only] [--batch-size N]
 *                 [--threshold TASK.KEY[@CHANNEL]=VALUE ...] [--channel-field NAME] [INPUT.jsonl|-] > out.jsonl
 *   node score.js --selftest     # npm test
 *
 * Input: JSON Lines {"id": ..., "text": "..."}. With --normalized the text is taken
 * as already normalised by feedback_nlp.normalize (no opencc-js needed). --threshold moves an
 * operating point as `feedback-nlp score --threshold` does; a key with @CHANNEL applies to records
 * whose "channel" field (--channel-field) names that channel.
 * Output: one JSON line per input line, same order: {"id", "norm", "probs": {task: [..]}}
 * and the fields of FeedbackResult.to_dict(): "is_spam", "spam_type", "spam_score",
 * "issue_types", "primary_issue", "issue_scores", "sentiment", "sentiment_score",
 * "severity", "severity_reasons", "route", "needs_review". With --heads-only:
 *   "sentiment", "sentiment_score", "is_spam", "spam_score", "spam_type_model",
 *   "issue_types", "primary_issue", "issue_scores", "severity_model", "needs_review".
 * An empty text (after normalisation) gets the library's neutral result and "empty": true.
 * A text with no n-gram the model knows gets sentiment neutral, as in the library ("probs" keeps the heads').
 * A line that is not a JSON object with a string text becomes {"id", "error"}.
 *
 * Requires: onnxruntime-node; opencc-js (Traditional -> Simplified) unless --normalized.
 */
'use strict';

const fs = require('fs');
const path = require('path');

const MAX_CHARS = 1000;
// Python's re `[\s\x00-\x1f\x7f]` on str (Unicode \s = str.isspace()), spelled out:
// JavaScript's \s differs (it has U+FEFF, lacks U+0085 and U+001C..U+001F).
const WS = /[\u0000-\u0020\u007f\u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+/g;
// Invisible format characters (text.py INVISIBLE; not U+200D, the joiner inside emoji sequences).
const INVISIBLE = /[\u00ad\u200b\u200c\u200e\u200f\u2060-\u2064\ufeff]/g;
// Lone surrogates (Python drops them before OpenCC).
const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/g;

// ---------------------------------------------------------------------------- model files
/** Parse a little-endian float32 1-D .npy file (format versions 1-3). */
function readNpyFloat32(file) {
  const buf = fs.readFileSync(file);
  if (buf.length < 10 || buf[0] !== 0x93 || buf.toString('latin1', 1, 6) !== 'NUMPY') {
    throw new Error(`${file} is not a .npy file`);
  }
  const major = buf[6];
  const headerLen = major === 1 ? buf.readUInt16LE(8) : buf.readUInt32LE(8);
  const start = major === 1 ? 10 : 12;
  const header = buf.toString('latin1', start, start + headerLen);
  const descr = /'descr':\s*'([^']*)'/.exec(header);
  const fortran = /'fortran_order':\s*(True|False)/.exec(header);
  const shape = /'shape':\s*\(([^)]*)\)/.exec(header);
  if (!descr || !shape || !fortran) throw new Error(`${file}: cannot parse the .npy header ${header}`);
  if (descr[1] !== '<f4') throw new Error(`${file}: dtype ${descr[1]} is not <f4 (little-endian float32)`);
  const dims = shape[1].split(',').map((s) => s.trim()).filter(Boolean).map(Number);
  const n = dims.reduce((a, b) => a * b, 1);
  const offset = start + headerLen;
  if (buf.length < offset + 4 * n) throw new Error(`${file} is truncated`);
  // Copy into a fresh (aligned) ArrayBuffer.
  const data = new Float32Array(buf.buffer.slice(buf.byteOffset + offset, buf.byteOffset + offset + 4 * n));
  return { shape: dims, data };
}

/** Load model.json, vocab.txt, idf.npy, the ONNX session, and (unless headsOnly) the decision
 * stage's patterns and the routing table of a model directory. */
async function loadModel(dir, { headsOnly = false } = {}) {
  const ort = require('onnxruntime-node');
  if (!fs.existsSync(path.join(dir, 'model.json'))) {
    throw new Error(`model directory not found: ${dir} (no model.json there)`);
  }
  const card = JSON.parse(fs.readFileSync(path.join(dir, 'model.json'), 'utf8'));
  const feat = card.featurizer;
  if (!feat || feat.type !== 'char_ngram_tfidf') throw new Error(`unsupported featurizer ${feat && feat.type}`);
  // Line i is the n-gram with id i; split on \n only (an n-gram may hold other line breaks).
  const grams = fs.readFileSync(path.join(dir, feat.vocab_file || 'vocab.txt'), 'utf8').split('\n');
  if (grams.length && grams[grams.length - 1] === '') grams.pop();
  const vocab = new Map();
  grams.forEach((g, i) => vocab.set(g, i));
  const idf = readNpyFloat32(path.join(dir, feat.idf_file || 'idf.npy'));
  if (idf.data.length !== grams.length) throw new Error(`idf.npy has ${idf.data.length} entries, vocab.txt ${grams.length}`);
  const onnxPath = path.join(dir, 'model.onnx');
  if (!fs.existsSync(onnxPath)) {
    throw new Error(`${onnxPath} not found; export it with: python -c "from feedback_nlp.export import export_onnx; ` +
      `export_onnx('${dir}')"`);
  }
  const session = await ort.InferenceSession.create(onnxPath, { intraOpNumThreads: 1, interOpNumThreads: 1 });
  const tasks = Object.keys(card.tasks);
  return {
    ort, card, session, tasks, vocab, idf: idf.data, dir,
    rules: headsOnly ? null : loadDecisionRules(dir, card), routing: loadRouting(dir, card),
    lo: feat.ngram_range[0], hi: feat.ngram_range[1],
    sublinear: feat.sublinear_tf !== false, mapDigits: feat.map_digits !== false,
    starDigits: feat.star_digits === true,
  };
}

// ---------------------------------------------------------------------------- normalisation
let converter = null;
function t2s(text) {
  if (converter === null) {
    let OpenCC;
    try {
      OpenCC = require('opencc-js');
    } catch (e) {
      throw new Error('Traditional->Simplified needs the opencc-js package (npm install opencc-js), ' +
        'or pass --normalized with texts normalised by feedback_nlp.normalize');
    }
    // OpenCC "t" (OpenCC standard Traditional) -> "cn" (Simplified) = Python OpenCC('t2s').
    converter = OpenCC.Converter({ from: 't', to: 'cn' });
  }
  return converter(text);
}

/** Code-point prefix of s (JS strings are UTF-16; Python counts code points). */
function cutCodePoints(s, n) {
  if (s.length <= n) return s; // n UTF-16 units hold at most n code points
  return Array.from(s).slice(0, n).join('');
}

/** feedback_nlp.text.normalize, step by step (docs/FEATURES.md). */
function normalize(text, maxChars = MAX_CHARS) {
  if (typeof text !== 'string') throw new TypeError(`text must be a string, got ${typeof text}`);
  // invisible characters first, then a long text is cut early, after its whitespace runs collapse (text.py)
  let s = text.replace(INVISIBLE, '');
  if (s.length > 4 * maxChars) s = s.replace(WS, ' ').replace(/^ +/, '');
  s = cutCodePoints(s, 4 * maxChars);
  s = s.normalize('NFKC').toLowerCase();
  s = s.replace(LONE_SURROGATE, '');
  s = t2s(s);
  s = s.replace(WS, ' ').replace(/^ +| +$/g, '');
  return cutCodePoints(s, maxChars);
}

// ---------------------------------------------------------------------------- featurisation
// Step 1's exception (features.star_digits): a star rating keeps its number, 1星 -> 一星.
const STAR_DIGIT = /(?<![0-9.])[1-5](?=颗?星)/g;
const STAR_NUMERALS = { 1: '一', 2: '二', 3: '三', 4: '四', 5: '五' };

/** Steps 1-5 of the featuriser rule for one normalised text: {ids (ascending), weights}. */
function featurize(model, norm) {
  const starred = model.starDigits && norm.includes('星') ? norm.replace(STAR_DIGIT, (d) => STAR_NUMERALS[d]) : norm;
  const cps = Array.from(starred); // code points
  if (model.mapDigits) {
    for (let i = 0; i < cps.length; i++) {
      const c = cps[i];
      if (c >= '1' && c <= '9' && c.length === 1) cps[i] = '0';
    }
  }
  const counts = new Map();
  for (let n = model.lo; n <= model.hi; n++) {
    for (let i = 0; i + n <= cps.length; i++) {
      let g = cps[i];
      for (let j = 1; j < n; j++) g += cps[i + j];
      const id = model.vocab.get(g);
      if (id !== undefined) counts.set(id, (counts.get(id) || 0) + 1);
    }
  }
  const ids = Array.from(counts.keys()).sort((a, b) => a - b);
  const f = Math.fround;
  const w = new Float32Array(ids.length);
  let sq = 0;
  for (let k = 0; k < ids.length; k++) {
    const c = counts.get(ids[k]);
    // numpy computes these in float32: tf = 1 + log(count); w = tf * idf
    const tf = model.sublinear ? f(1 + f(Math.log(c))) : f(c);
    w[k] = f(tf * model.idf[ids[k]]);
    sq += w[k] * w[k]; // float64, as numpy's bincount
  }
  const norm2 = Math.sqrt(sq) || 1;
  for (let k = 0; k < ids.length; k++) w[k] = f(w[k] / norm2);
  return { ids, weights: w };
}

/** Graph inputs for a batch: ids int64 [b, n] and weights float32 [b, n], padded with 0 (n >= 1). */
function padBatch(model, feats) {
  const width = Math.max(1, ...feats.map((x) => x.ids.length));
  const ids = new BigInt64Array(feats.length * width);
  const weights = new Float32Array(feats.length * width);
  feats.forEach((x, r) => {
    for (let k = 0; k < x.ids.length; k++) {
      ids[r * width + k] = BigInt(x.ids[k]);
      weights[r * width + k] = x.weights[k];
    }
  });
  return {
    ids: new model.ort.Tensor('int64', ids, [feats.length, width]),
    weights: new model.ort.Tensor('float32', weights, [feats.length, width]),
  };
}

/** Per-task probability rows (arrays of numbers) for normalised texts (featurised once, as given). */
async function predictProba(model, norms, feats = norms.map((s) => featurize(model, s))) {
  const out = await model.session.run(padBatch(model, feats), model.tasks);
  const res = {};
  for (const t of model.tasks) {
    const k = out[t].dims[1];
    const data = out[t].data;
    res[t] = norms.map((_, r) => Array.from(data.subarray(r * k, (r + 1) * k)));
  }
  return res;
}

// ---------------------------------------------------------------------------- decisions
/** Python's round(x, 6): nearest, exact ties to even (toFixed rounds ties away from zero). */
function round6(x) {
  const s = x.toFixed(6);
  const exact = x.toFixed(100); // exact decimal expansion of a float32-derived double
  if (/^50*$/.test(exact.slice(exact.indexOf('.') + 7)) && Number(s[s.length - 1]) % 2 === 1) {
    return Number((Number(s) - Math.sign(x) * 1e-6).toFixed(6));
  }
  return Number(s);
}

function argmax(a) {
  let best = 0;
  for (let i = 1; i < a.length; i++) if (a[i] > a[best]) best = i;
  return best;
}

// numpy compares a float32 probability with a Python float threshold in float32 (NEP 50).
const geF32 = (p, t) => Math.fround(p) >= Math.fround(t);

/**
 * Filler rule of feedback_nlp.tasks.spam.unit_repetition: [repetition, distinct chars]
 * over the letters/digits of the first 400 code points (1 - distinct/total trigrams).
 */
function unitRepetition(norm, minChars = 6) {
  const text = Array.from(norm).slice(0, 400);
  const distinctAll = new Set(text).size;
  if (distinctAll > 0.3 * text.length + 10) return [0, distinctAll];
  const s = Array.from(text.join('').replace(/[^\p{L}\p{N}]+/gu, '')).slice(0, 300);
  if (s.length < minChars) return [0, new Set(s).size];
  const grams = new Set();
  for (let i = 0; i + 3 <= s.length; i++) grams.add(s[i] + s[i + 1] + s[i + 2]);
  return [1 - grams.size / (s.length - 2), new Set(s).size];
}

/** feedback_nlp.tasks.spam.punctuation_only: >= 2 non-space characters, all punctuation
 * or math/modifier/currency symbols (not emoji), within the first 400 code points. */
function punctuationOnly(norm, minChars = 2) {
  const chars = Array.from(norm).slice(0, 400).filter((c) => !/\s/u.test(c));
  return chars.length >= minChars && chars.every((c) => /[\p{P}\p{Sm}\p{Sk}\p{Sc}]/u.test(c));
}

/** feedback_nlp.tasks.spam.rule_spam_type: the spam type the filler rules alone give, or null. */
function ruleSpamType(norm, repeatThreshold) {
  const [rep, distinct] = unitRepetition(norm);
  if (rep >= repeatThreshold) return distinct === 1 ? 'gibberish' : 'flood';
  return punctuationOnly(norm) ? 'gibberish' : null;
}

/** decide_spam's flood check: flood is the same text repeated inside one record, so a text typed flood
 * that repeats itself less than the point spam.flood_repetition (default 0.5) is not spam. */
function floodWithoutRepetition(type, norm, st) {
  return type === 'flood' && unitRepetition(norm)[0] < (st.flood_repetition ?? DEFAULT_POINTS.spam.flood_repetition);
}

/** decide_issue_types without a gate: rounded scores, and the labels at or over their thresholds,
 * most likely first. */
function issueDecision(heads, ip, thresholds) {
  const scores = {};
  heads.issue_types.labels.forEach((lab, i) => { scores[lab] = round6(ip[i]); });
  const chosen = heads.issue_types.labels.filter((lab, i) => geF32(ip[i], thresholds[lab] ?? 0.5));
  chosen.sort((a, b) => scores[b] - scores[a]); // stable, as Python's sort
  return { scores, chosen };
}

/** pipeline._review: spam that is negative and raises an issue type (``chosen``, before spam emptied it)
 * goes to a person unless the spam point ``review_complaints`` is 0. */
function spamComplaint(out, chosen, st) {
  const on = (st.review_complaints ?? DEFAULT_POINTS.spam.review_complaints) !== 0;
  return on && out.is_spam && chosen.length > 0 && out.sentiment === 'negative';
}

/**
 * --heads-only: the heads' decisions (FeedbackAnalyzer.load(decisions=False)) without the
 * escalation rules that can raise the severity or the spam signals that can turn a spam type
 * into "ad"; hence severity_model / spam_type_model.
 */
function decide(model, probs, norm, unread = false) {
  const heads = model.card.tasks;
  // The heads' own thresholds: this host runs the heads, not the Python decision stage
  // (combiners), so it uses head_thresholds where the card has them (Python: load(decisions=False)).
  const th = (task) => heads[task].head_thresholds || heads[task].thresholds || {};
  const out = {};
  // sentiment: argmax label; score = P(positive) - P(negative), computed in float32
  const sp = sentimentProbs(model, probs, unread);
  const sl = heads.sentiment.labels;
  out.sentiment = sl[argmax(sp)];
  const sentScore = Math.fround(sp[sl.indexOf('positive')] - sp[sl.indexOf('negative')]);
  out.sentiment_score = round6(sentScore);
  // spam: score = 1 - P(not_spam) (float32), spam when score >= thresholds.spam
  const pp = probs.spam;
  const st = th('spam');
  const spamScore = Math.fround(1 - pp[0]);
  out.is_spam = spamScore >= (st.spam ?? 0.5);
  out.spam_type_model = out.is_spam ? heads.spam.labels[1 + argmax(pp.slice(1))] : null;
  if (!out.is_spam && st.repeat != null) { // filler: one unit repeated over the whole text
    out.spam_type_model = ruleSpamType(norm, st.repeat);
    out.is_spam = out.spam_type_model !== null;
  } else if (st.repeat != null && out.spam_type_model === 'irrelevant') { // a repeated unit is not chat
    out.spam_type_model = ruleSpamType(norm, st.repeat) ?? out.spam_type_model;
  }
  if (floodWithoutRepetition(out.spam_type_model, norm, st)) {
    out.is_spam = false;
    out.spam_type_model = null;
  }
  out.spam_score = round6(spamScore);
  // issue types: per-label thresholds, most likely first; none when spam
  const { scores, chosen } = issueDecision(heads, probs.issue_types, th('issue_types'));
  out.issue_scores = scores;
  out.issue_types = out.is_spam ? [] : chosen;
  out.primary_issue = out.issue_types.length ? out.issue_types[0] : null;
  // severity (model level): critical when P(critical) >= thresholds.critical; else, with the
  // cut points ev_medium/ev_high/ev_critical, how many of them the expected level
  // E = sum_i i * P(level i) reaches; else argmax
  const vp = probs.severity;
  const vt = th('severity');
  out.severity_model = out.is_spam ? 'low' : SEVERITIES[modelSeverity(vp, vt)];
  // needs_review: a decision close to its threshold
  const spamMargin = Math.abs(out.spam_score - (st.spam ?? 0.5))
    < (st.review_margin ?? DEFAULT_POINTS.spam.review_margin);
  const sentConf = Math.max(...sp) < (th('sentiment').review ?? DEFAULT_POINTS.sentiment.review);
  const sevConf = Math.max(...vp) < (vt.review ?? DEFAULT_POINTS.severity.review);
  out.needs_review = spamMargin || spamComplaint(out, chosen, st) || sentConf || sevConf || isNotChinese(norm);
  return out;
}

// ---------------------------------------------------------------------------- decision stage
// FeedbackAnalyzer.load() with its decision stage: feedback_nlp.pipeline, tasks/*.py,
// tasks/evidence.py, tasks/combiner.py. The patterns are read from decision_rules.json.

/** Compile decision_rules.json, or null when the card has no combiner (nothing needs it). */
function loadDecisionRules(dir, card) {
  if (!Object.values(card.tasks).some((t) => t.combiner)) return null;
  const file = path.join(dir, 'decision_rules.json');
  if (!fs.existsSync(file)) {
    throw new Error(`${file} not found (the decision stage's patterns); write it with: python -c "from ` +
      `feedback_nlp.export import export_onnx; export_onnx('${dir}')", or pass --heads-only`);
  }
  const raw = JSON.parse(fs.readFileSync(file, 'utf8'));
  if (raw.format_version !== 1) throw new Error(`${file}: format_version ${raw.format_version} is not 1`);
  const re = (src) => new RegExp(src, raw.flags);
  const compile = (obj) => Object.fromEntries(Object.entries(obj).map(([k, v]) => [k, re(v)]));
  return {
    // files written before negation lack negatable / negation: every match fires, as it did
    // ... and before worries (worried / worry): every match of those rules fires
    escalation: raw.escalation_rules.map((r) => {
      const worried = Boolean(r.worried && raw.worry);
      return { reason: r.reason, minimum: r.minimum, re: re(r.pattern), worried,
        all: (r.negatable && raw.negation) || worried ? new RegExp(r.pattern, `${raw.flags}g`) : null };
    }),
    negation: raw.negation ? re(raw.negation) : null,
    negationWindow: raw.negation_window,
    worry: raw.worry ? re(raw.worry) : null,
    worryWindow: raw.worry_window,
    unnegated: raw.unnegated || [],
    illness: re(raw.illness),
    // files written before rule ED lack it: no text names a penalty, as before
    platformPenalty: raw.platform_penalty ? re(raw.platform_penalty) : null,
    text: compile(raw.text_evidence),
    cjkRun: new RegExp(raw.text_evidence.cjk_run, `${raw.flags}g`),
    spam: compile(raw.spam_signals),
    // files written before the padding rule lack it: the rule is then off, as it was
    paddingAll: raw.spam_signals.padding ? new RegExp(raw.spam_signals.padding, `${raw.flags}g`) : null,
    verdict: raw.bare_verdict ? {
      maxChars: raw.bare_verdict.max_chars,
      verdict: re(raw.bare_verdict.verdict),
      phrases: new RegExp(raw.bare_verdict.phrases, `${raw.flags}g`),
      notLetter: new RegExp(raw.bare_verdict.not_letter, `${raw.flags}g`),
      // files written before bare threats lack these: the rule is then off, as it was
      threat: raw.bare_verdict.threat ? re(raw.bare_verdict.threat) : null,
      threatPhrases: raw.bare_verdict.threat_phrases
        ? new RegExp(raw.bare_verdict.threat_phrases, `${raw.flags}g`) : null,
      chat: raw.bare_verdict.chat ? re(raw.bare_verdict.chat) : null,
      chatWords: raw.bare_verdict.chat_words ? new RegExp(raw.bare_verdict.chat_words, `${raw.flags}g`) : null,
      chatMaxChars: raw.bare_verdict.chat_max_chars,
      chatMaxRepetition: raw.bare_verdict.chat_max_repetition,
      rating: raw.bare_verdict.rating ? new RegExp(raw.bare_verdict.rating, `${raw.flags}g`) : null,
      ratingFiller: raw.bare_verdict.rating_filler ? new RegExp(raw.bare_verdict.rating_filler, `${raw.flags}g`) : null,
      ratingRemnant: raw.bare_verdict.rating_remnant
        ? new RegExp(raw.bare_verdict.rating_remnant, `${raw.flags}g`) : null,
      ratingMaxChars: raw.bare_verdict.rating_max_chars,
      ratingSides: raw.bare_verdict.rating_sides,
      questionEnd: raw.bare_verdict.question_end ? re(raw.bare_verdict.question_end) : null,
      questionAsk: raw.bare_verdict.question_ask ? re(raw.bare_verdict.question_ask) : null,
      questionNot: raw.bare_verdict.question_not ? re(raw.bare_verdict.question_not) : null,
      questionMaxChars: raw.bare_verdict.question_max_chars,
      placeholder: raw.bare_verdict.placeholder ? new RegExp(raw.bare_verdict.placeholder, `${raw.flags}g`) : null,
      placeholderMaxChars: raw.bare_verdict.placeholder_max_chars,
      // files written before bare negated complaints lack these: the rule is then off, as it was
      negatedClause: raw.bare_verdict.negated_clause ? re(raw.bare_verdict.negated_clause) : null,
      negatedApproval: raw.bare_verdict.negated_approval ? re(raw.bare_verdict.negated_approval) : null,
      negatedBadAspect: raw.bare_verdict.negated_bad_aspect ? re(raw.bare_verdict.negated_bad_aspect) : null,
      negatedSoftened: raw.bare_verdict.negated_softened ? re(raw.bare_verdict.negated_softened) : null,
      negatedStop: raw.bare_verdict.negated_stop ? re(raw.bare_verdict.negated_stop) : null,
      negatedBreak: raw.bare_verdict.negated_break ? re(raw.bare_verdict.negated_break) : null,
      negatedMaxChars: raw.bare_verdict.negated_max_chars,
    } : null,
    noWords: raw.no_words ? {
      word: re(raw.no_words.word),
      positive: new Set(Array.from(raw.no_words.emoji_positive)),
      negative: new Set(Array.from(raw.no_words.emoji_negative)),
      confidence: raw.no_words.emoji_confidence,
    } : null,
    // files written before merchant cards lack it: the rule is then off, as it was
    merchant: raw.merchant_card ? compile(raw.merchant_card) : null,
    notice: raw.posted_notice ? compile(raw.posted_notice) : null,
    // files written before rules FB, FC lack it: nothing reads as a reported ad, as before
    reported: raw.reported_ad ? {
      quoted: new RegExp(raw.reported_ad.quoted, `${raw.flags}g`),
      adWords: re(raw.reported_ad.ad_words),
      evidenceLink: new RegExp(raw.reported_ad.evidence_link, `${raw.flags}g`),
    } : null,
    // files written before rule FA lack it: no text reads as an insult of commenters, as before
    insult: raw.commenter_abuse ? compile(raw.commenter_abuse) : null,
  };
}

/** pipeline._mark_no_words: a text with no letter or digit ("🥰🥰！", "。"; tasks/verdict.py has_words), when the
 * sentiment head has negative, neutral and positive. */
function hasNoWords(rules, labels, norm) {
  return Boolean(rules && rules.noWords && ['negative', 'neutral', 'positive'].every((l) => labels.includes(l))
    && !rules.noWords.word.test(norm));
}

/** tasks/sentiment.py emoji_sentiment: 'positive' / 'negative' for listed emoji of one side, else null. */
function emojiSide(nw, norm) {
  const chars = Array.from(norm);
  const pos = chars.some((c) => nw.positive.has(c));
  const neg = chars.some((c) => nw.negative.has(c));
  return pos === neg ? null : (pos ? 'positive' : 'negative');
}

/** tasks/spam.py no_words_spam: emoji of one side are a review, not spam; anything else flagged is gibberish. */
function noWordsSpam(nw, isSpam, norm) {
  if (emojiSide(nw, norm) !== null) return [false, null];
  return [isSpam, isSpam ? 'gibberish' : null];
}

/** tasks/sentiment.py emoji_probs: the emoji's side at emoji_confidence and the rest neutral; neutral alone when
 * the text has no listed emoji or both kinds. */
function emojiProbs(nw, labels, norm) {
  return sideProbs(nw, labels, emojiSide(nw, norm));
}

/** tasks/verdict.py is_bare_verdict: a verdict ("差评！", "不推荐") that names nothing else. */
function isBareVerdict(v, norm) {
  if (!v || [...norm].length > v.maxChars || !v.verdict.test(norm)) return false;
  let rest = norm.replace(v.notLetter, '').replace(v.phrases, '');
  // "1星，太差": what is left of a star rating once its digit is gone (tasks/rating.py has_rating)
  if (rest !== '' && v.ratingRemnant && norm.includes('星') && norm.search(v.rating) >= 0) {
    rest = rest.replace(v.ratingRemnant, '');
  }
  return rest === '';
}

/** tasks/threat.py is_bare_threat: a threat to complain ("我要投诉") that names nothing else, verdicts aside. */
function isBareThreat(v, norm) {
  if (!v || !v.threat || [...norm].length > v.maxChars || !v.threat.test(norm)) return false;
  return norm.replace(v.notLetter, '').replace(v.threatPhrases, '') === '';
}

/** tasks/chat.py is_bare_chat_phrase: "收到", "好的谢谢", "有人吗", naming nothing, short, not repeated. */
function isBareChat(v, norm) {
  if (!v || !v.chat || [...norm].length > v.chatMaxChars || !v.chat.test(norm)) return false;
  if (norm.replace(v.notLetter, '').replace(v.chatWords, '') !== '') return false;
  return !isBareVerdict(v, norm) && unitRepetition(norm)[0] < v.chatMaxRepetition;
}

/** tasks/rating.py rating_side: the side of a bare star rating ("5星", "只能给1星"), or null. */
function bareRatingSide(v, norm) {
  if (!v || !v.rating || [...norm].length > v.ratingMaxChars) return null;
  const sides = new Set([...norm.matchAll(v.rating)].map((m) => v.ratingSides[m[1]]));
  if (sides.size !== 1) return null;
  const rest = norm.replace(v.rating, '').replace(v.notLetter, '').replace(v.ratingFiller, '');
  return rest === '' ? [...sides][0] : null;
}

/** tasks/placeholder.py is_placeholder: "此用户未填写评价内容", "系统默认好评", the platform's words, no review. */
function isPlaceholder(v, norm) {
  if (!v || !v.placeholder || [...norm].length > v.placeholderMaxChars || !norm.includes('评')) return false;
  const letters = norm.replace(v.notLetter, '');
  return letters !== '' && letters.replace(v.placeholder, '') === '';
}

/** tasks/negated.py negated_side: the side of a bare negated complaint ("质量不差": positive; "没那么慢": neutral),
 * or null when the text is not one. */
function negatedSide(v, norm) {
  if (!v || !v.negatedClause || [...norm].length > v.negatedMaxChars || v.negatedStop.test(norm)) return null;
  const clauses = norm.split(v.negatedBreak).filter((c) => c !== '');
  const kind = (c) => {
    for (const [name, pattern] of [['negated', v.negatedClause], ['approval', v.negatedApproval]]) {
      const m = c.match(pattern);
      if (m && !v.negatedBadAspect.test(m[1])) return name;
    }
    return null;
  };
  const kinds = clauses.map(kind);
  if (!kinds.length || kinds.includes(null) || !kinds.includes('negated')) return null;
  if (!kinds.includes('approval') && clauses.every((c) => v.negatedSoftened.test(c))) return 'neutral';
  return 'positive';
}

/** tasks/question.py is_bare_question: "怎么取消订单？", "什么时候发货？", asking for information, naming nothing. */
function isBareQuestion(v, norm) {
  if (!v || !v.questionEnd || [...norm].length > v.questionMaxChars || !v.questionEnd.test(norm)) return false;
  return v.questionAsk.test(norm) && !v.questionNot.test(norm);
}

/** tasks/sentiment.py neutral_probs: all of the probability on neutral. */
function neutralProbs(labels) {
  return labels.map((l) => (l === 'neutral' ? 1 : 0));
}

/** tasks/sentiment.py side_probs: emoji_confidence on the side and the rest neutral; neutral alone otherwise. */
function sideProbs(nw, labels, side) {
  const probs = neutralProbs(labels);
  if (side !== null && side !== 'neutral') {
    probs[labels.indexOf(side)] = Math.fround(nw.confidence);
    probs[labels.indexOf('neutral')] = Math.fround(1 - nw.confidence);
  }
  return probs;
}

/** The routing table the card names (routing.json), or the codebook's when it names none. */
function loadRouting(dir, card) {
  const name = typeof card.routing === 'string' ? card.routing : null;
  if (name && fs.existsSync(path.join(dir, name))) return JSON.parse(fs.readFileSync(path.join(dir, name), 'utf8'));
  return card.routing && typeof card.routing === 'object' ? card.routing : null;
}

const SEVERITIES = ['low', 'medium', 'high', 'critical'];
const NOT_CHINESE_REASON = 'not Chinese: the models cover Chinese only, check by hand';
const UNREAD_REASON = 'unread: the model knows none of these characters, sentiment neutral';
// pipeline.SPAM_COMPLAINT_REASON: a spam record that is negative and raises an issue type goes to review
const SPAM_COMPLAINT_REASON = 'needs review: spam, yet negative and raising';
// pipeline.REPEATED_SPAM: spam types of a text that repeats one unit
const REPEATED_SPAM = ['flood', 'gibberish'];
// tasks/review_form.py REVIEW_FORM_TYPES: the spam types a review form un-flags ("女朋友很喜欢" read as chat)
const REVIEW_FORM_TYPES = ['irrelevant', 'abuse'];
const BARE_VERDICT_REASON = 'bare verdict: names no problem';
const BARE_THREAT_REASON = 'bare threat: names no problem';
const CHAT_REASON = 'chat phrase: names no problem';
const RATING_REASON = 'bare rating: names no problem';
const QUESTION_REASON = 'question: names no problem';
const PLACEHOLDER_REASON = 'platform placeholder: no review written';
const NEGATED_REASON = 'negated complaint: names no problem';
const MERCHANT_CARD_REASON = 'merchant card: asks buyers for a review for a reward';
const POSTED_NOTICE_REASON = 'posted notice: sends readers to a contact channel';
const NO_WORDS_REASON = 'no words (emoji or punctuation alone): names no problem';
// Python's [^\w:：]+ and [^\W\d_]+ (\w: letters, numbers, underscore; \d: decimal digits).
const SYMBOLS = /[^\p{L}\p{N}_:：]+/gu;
const LETTER_RUN = /[\p{L}\p{Nl}\p{No}]+/gu;

/** feedback_nlp.tasks.evidence.text_evidence (float32, as its evidence matrix). */
function textEvidence(rules, norm) {
  const s = cutCodePoints(norm, 1000);
  const t = rules.text;
  const squeezed = s.replace(SYMBOLS, ''); // "威❤信", "微 信" spell the same channel
  const digits = t.digits7.test(s) || t.cn_digits7.test(s);
  const chatId = t.chat_id.test(squeezed) || t.add_id.test(squeezed);
  const chatMention = t.chat_mention.test(squeezed);
  const link = t.link.test(s);
  const dm = t.dm.test(s);
  const solicit = t.solicit.test(s);
  let letters = 0;
  for (const m of s.matchAll(LETTER_RUN)) letters += Array.from(m[0]).length;
  let cjk = 0;
  for (const m of s.matchAll(rules.cjkRun)) cjk += Array.from(m[0]).length;
  const contact = digits || chatId || chatMention || link;
  const f = Math.fround;
  return {
    digits7: +digits, chat_id: +chatId, chat_mention: +chatMention, link: +link, dm: +dm, solicit: +solicit,
    contact_and_ask: +(contact && (dm || solicit)), cjk_share: f(letters ? cjk / letters : 0),
    log_length: f(Math.log1p(Array.from(s).length)),
  };
}

/** tasks/merchant.py is_merchant_card: a shop's own review-for-reward card ("亲，五星好评截图发客服领红包"). */
function isMerchantCard(rules, norm) {
  const m = rules.merchant;
  if (!m || !m.ask.test(norm) || !m.reward.test(norm) || !m.shop_voice.test(norm)) return false;
  if ((m.offer && !m.offer.test(norm)) || (m.buyer_asks && m.buyer_asks.test(norm))) return false;
  const ev = textEvidence(rules, norm);
  if (!(ev.chat_id || ev.chat_mention || ev.digits7 || m.screenshot.test(norm))) return false;
  return !m.buyer_voice.test(norm);
}

/** tasks/spam.py advertises: a link or contact id (or, with ``solicits``, a solicitation) in the text. */
function advertises(rules, text, solicits = true) {
  const sig = rules.spam;
  return sig.link.test(text) || sig.contact.test(text) || (solicits && sig.solicit.test(text));
}

/** tasks/reported_ad.py is_reported_ad: an ad the buyer quotes after a verb of reporting ("写着“扫码进群领福利”"), or
 * links given as evidence only ("截图：https://…"), with no link or contact (nor, beside an evidence link, a
 * solicitation) of the text's own. */
function isReportedAd(rules, norm) {
  const r = rules.reported;
  if (!r) return false;
  if ((norm.match(r.quoted) || []).some((q) => r.adWords.test(q))) {
    return !advertises(rules, norm.replace(r.quoted, ' '), false);
  }
  if (norm.search(r.evidenceLink) >= 0) return !advertises(rules, norm.replace(r.evidenceLink, ' '));
  return false;
}

/** tasks/insult.py insults_commenter: other commenters named (楼上, 评论区, 给一星的) beside an insult of a person
 * (智障, 滚回去), no party to the purchase named (客服, 商家: that is a complaint), and no link, contact or
 * solicitation. */
function insultsCommenter(rules, norm) {
  const m = rules.insult;
  return Boolean(m && m.commenter.test(norm) && m.insult.test(norm) && !(m.service_party && m.service_party.test(norm))
    && !advertises(rules, norm));
}

/** tasks/severity.py negated: a match at code unit `index` follows a negator ("没有过敏"), not in a question that
 * repeats it (会不会). The window counts code points, as Python's. */
function negated(rules, norm, index) {
  const before = Array.from(norm.slice(0, index)).slice(-rules.negationWindow).join('');
  const m = before.match(rules.negation);
  if (!m) return false;
  return !(m.index > 0 && before[m.index - 1] === before[m.index + 1]);
}

/** tasks/severity.py worried: a match at code unit `index` follows a worry in its clause ("会不会被当成盗刷"). */
function worried(rules, norm, index) {
  return rules.worry.test(Array.from(norm.slice(0, index)).slice(-rules.worryWindow).join(''));
}

/** tasks/severity.py rule_fires: any match, or for a negatable rule any match not negated, or for a worried
 * rule any match not after a worry. */
function ruleFires(rules, r, norm) {
  if (!r.all) return r.re.test(norm);
  if (r.worried) {
    for (const m of norm.matchAll(r.all)) if (!worried(rules, norm, m.index)) return true;
    return false;
  }
  // a match ending with an unnegated word names care (tasks/severity.py _counts)
  for (const m of norm.matchAll(r.all)) {
    if (rules.unnegated.some((u) => m[0].endsWith(u)) || !negated(rules, norm, m.index)) return true;
  }
  return false;
}

/** tasks/notice.py is_posted_notice: a notice posted to send readers to a contact channel ("【平台通知】您的…QQ"). */
function isPostedNotice(rules, norm) {
  const n = rules.notice;
  if (!n || !n.tag.test(norm) || !n.reader.test(norm) || (n.call && !n.call.test(norm)) || n.buyer_voice.test(norm)) {
    return false;
  }
  const ev = textEvidence(rules, norm);
  return Boolean(ev.link || ev.chat_id || ev.chat_mention || ev.digits7);
}

/** One named evidence value (feedback_nlp.tasks.evidence.evidence_matrix), float32. */
function evidenceValue(name, ctx) {
  const colon = name.indexOf(':');
  const kind = name.slice(0, colon);
  const rest = name.slice(colon + 1);
  if (kind === 'x') {
    const star = rest.indexOf('*');
    if (star < 0) throw new Error(`evidence ${name}: use x:<name>*<name>`);
    return Math.fround(evidenceValue(rest.slice(0, star), ctx) * evidenceValue(rest.slice(star + 1), ctx));
  }
  if (kind === 'text') {
    if (ctx.text === null) ctx.text = textEvidence(ctx.rules, ctx.norm);
    if (!(rest in ctx.text)) throw new Error(`unknown text evidence ${name}`);
    return ctx.text[rest];
  }
  if (kind === 'rule') {
    if (!ctx.rules.escalation.some((r) => r.reason === rest)) throw new Error(`unknown escalation rule in ${name}`);
    return ctx.fired.some((r) => r.reason === rest) ? 1 : 0;
  }
  if (kind === 'p' || kind === 'logit') {
    const sep = rest.indexOf(':');
    const task = rest.slice(0, sep);
    const heads = ctx.model.card.tasks;
    const j = heads[task] ? heads[task].labels.indexOf(rest.slice(sep + 1)) : -1;
    if (j < 0 || !ctx.probs[task]) throw new Error(`evidence ${name}: no such head label`);
    const p = ctx.probs[task][j];
    if (kind === 'p') return Math.fround(p);
    const q = Math.min(Math.max(p, 1e-6), 1 - 1e-6);
    return Math.fround(Math.min(Math.max(Math.log(q / (1 - q)), -12), 12));
  }
  throw new Error(`unknown evidence ${name} (use text:, rule:, p: or logit:)`);
}

/** feedback_nlp.tasks.combiner.Combiner: softmax(((e - mean) / scale) @ weight + bias). */
function combine(comb, ctx) {
  const k = comb.labels.length;
  const z = comb.bias.slice();
  comb.features.forEach((name, i) => {
    const e = (evidenceValue(name, ctx) - comb.mean[i]) / comb.scale[i];
    for (let j = 0; j < k; j++) z[j] += e * comb.weight[i][j];
  });
  const m = Math.max(...z);
  const ex = z.map((v) => Math.exp(v - m));
  const sum = ex.reduce((a, b) => a + b, 0);
  return ex.map((v) => v / sum);
}

/** Python's f"{x:.2f}" (exact binary ties cannot occur for these probabilities). */
const fmt2 = (x) => x.toFixed(2);

// operating_points.DEFAULT_POINTS: points every head of a task takes, also where its card has none
const DEFAULT_POINTS = {
  spam: { flood_repetition: 0.5, review_margin: 0.15, review_complaints: 1, posted_ad: 1, review_forms: 1,
    reported_ads: 1, commenter_abuse: 1 },
  issue_types: { bare_verdict: 1, bare_question: 0 },
  sentiment: { review: 0.5 },
  severity: { review: 0.4, critical_not_chinese: 1, critical_penalty: 1, book_story: 1, band_not_chinese: 0 },
};

/** Points that are not probabilities: severity's cuts on the expected level, in [0, 3]. */
const LEVEL_CUTS = ['ev_medium', 'ev_high', 'ev_critical'];

/**
 * --threshold TASK.KEY=VALUE and TASK.KEY@CHANNEL=VALUE, as FeedbackAnalyzer.load(thresholds=) takes
 * them: a plain key moves the head's point, a key with @CHANNEL the point for records of that channel
 * only (model.channelPoints[channel][task]: the head's points with the channel's on top).
 */
function applyThresholds(model, items) {
  const heads = model.card.tasks;
  const perChannel = {};
  for (const item of items) {
    const m = /^([^.=@]+)\.([^=@]+)(@[^=]*)?=(.*)$/.exec(item);
    if (!m) throw new Error(`--threshold ${item}: use TASK.KEY=VALUE or TASK.KEY@CHANNEL=VALUE`);
    const [, task, key, at, raw] = m;
    const channel = at === undefined ? null : at.slice(1);
    if (channel === '' || (channel !== null && channel.includes('@'))) {
      throw new Error(`--threshold ${item}: name one channel after '@', e.g. ${task}.${key}@order_review`);
    }
    if (!heads[task]) {
      throw new Error(`--threshold ${item}: unknown task ${task} (tasks: ${Object.keys(heads).join(', ')})`);
    }
    const points = heads[task].thresholds || {};
    const known = [...new Set([...Object.keys(points), ...Object.keys(DEFAULT_POINTS[task] || {})])];
    if (!known.includes(key)) {
      throw new Error(`--threshold ${item}: ${task} has no operating point ${key} ` +
        `(it has: ${known.sort().join(', ')})`);
    }
    const value = Number(raw);
    if (raw.trim() === '' || !Number.isFinite(value)) {
      throw new Error(`--threshold ${item}: ${raw} is not a finite number`);
    }
    const high = LEVEL_CUTS.includes(key) ? 3 : 1; // operating_points.point_range
    if (value < 0 || value > high) {
      throw new Error(`--threshold ${item}: ${value} is outside [0, ${high}]` +
        (high === 1 && value > high ? ' (a probability, not a percentage; 1 turns the point off)' : ''));
    }
    if (channel === null) heads[task].thresholds = { ...points, [key]: value };
    else ((perChannel[channel] ??= {})[task] ??= {})[key] = value;
  }
  model.channelPoints = {};
  for (const [channel, tasks] of Object.entries(perChannel)) {
    model.channelPoints[channel] = {};
    for (const [task, over] of Object.entries(tasks)) {
      model.channelPoints[channel][task] = { ...heads[task].thresholds, ...over };
    }
  }
}

/** tasks/review_form.py unpadded: the normalised text without its padding (a run of one punctuation mark or symbol,
 * laughter), spaces squeezed; the text itself when it has none or the rules have no padding pattern. */
function unpadded(rules, norm) {
  if (!rules || !rules.paddingAll || !rules.spam.padding.test(norm)) return norm;
  return norm.replace(rules.paddingAll, ' ').split(' ').filter(Boolean).join(' ');
}

/** The operating points of ``task`` for a record of ``channel`` (or null): its channel's, else the head's
 * (pipeline.FeedbackAnalyzer._points). */
function pointsOf(model, task, channel) {
  const own = channel !== null && model.channelPoints ? model.channelPoints[channel] || {} : {};
  return own[task] || model.card.tasks[task].thresholds || {};
}

/** The escalation rules that fire on a normalised text, as the decision stage reads them: none in a book review
 * that reads positive, whose matches are its story's (pipeline._mark_story; point severity.book_story). */
function signalsOf(model, probs, norm, channel = null, unread = false) {
  const rules = model.rules;
  if (!rules) return [];
  const fired = rules.escalation.filter((r) => ruleFires(rules, r, norm));
  const sl = model.card.tasks.sentiment.labels;
  const on = (pointsOf(model, 'severity', channel).book_story ?? DEFAULT_POINTS.severity.book_story) !== 0;
  if (fired.length && on && rules.spam.book && sl[argmax(sentimentProbs(model, probs, unread))] === 'positive'
      && rules.spam.book.test(norm)) return [];
  return fired;
}

/** pipeline._read_unpadded's test: a text with padding, words left without it, and a combined P(spam) at or over
 * its point, where the point review_forms is on. Only such texts are read a second time (decideFull's ``bare``).
 * Returns null, or what it computed ({fired, spam}) for decideFull to reuse. */
function needsUnpadded(model, probs, norm, channel = null, unread = false) {
  const rules = model.rules;
  const comb = model.card.tasks.spam.combiner;
  const bare = unpadded(rules, norm);
  if (!comb || !bare || bare === norm || hasNoWords(rules, model.card.tasks.sentiment.labels, norm)) return null;
  const st = pointsOf(model, 'spam', channel);
  if ((st.review_forms ?? DEFAULT_POINTS.spam.review_forms) === 0) return null;
  const fired = signalsOf(model, probs, norm, channel, unread);
  const spam = combine(comb, { model, probs, norm, rules, fired, text: null });
  return spam[1] >= (st.spam ?? 0.5) ? { fired, spam } : null;
}

/** The decisions FeedbackAnalyzer.load() makes for one non-empty normalised text (of ``channel``, or null).
 * ``bare``: {norm, probs, fired, spam} of the text without its padding (unpadded) and what needsUnpadded computed
 * for the text itself, where needsUnpadded holds, else null. */
function decideFull(model, probs, norm, channel = null, unread = false, bare = null) {
  const heads = model.card.tasks;
  const rules = model.rules;
  const th = (task) => pointsOf(model, task, channel);
  const fired = bare ? bare.fired : signalsOf(model, probs, norm, channel, unread);
  const signalled = fired.some((r) => r.minimum === 'critical'); // tasks/severity.py critical_signalled
  const ctx = { model, probs, norm, rules, fired, text: null };
  const combined = {};
  for (const task of ['spam', 'issue_types', 'severity']) {
    if (heads[task].combiner) combined[task] = task === 'spam' && bare ? bare.spam : combine(heads[task].combiner, ctx);
  }
  const out = {};
  // spam (tasks/spam.py decide_spam)
  let pp = probs.spam;
  const st = th('spam');
  let spamScore = combined.spam ? combined.spam[1] : Math.fround(1 - pp[0]);
  const noWords = hasNoWords(rules, heads.sentiment.labels, norm);
  // a flagged text with padding takes the spam reading of the text without it, if that is under the point
  // (pipeline._read_unpadded)
  const reviewForms = (st.review_forms ?? DEFAULT_POINTS.spam.review_forms) !== 0;
  if (bare && combined.spam && !noWords && reviewForms
      && spamScore >= (st.spam ?? 0.5)) {
    const bareFired = rules.escalation.filter((r) => ruleFires(rules, r, bare.norm));
    const p = combine(heads.spam.combiner, { model, probs: bare.probs, norm: bare.norm, rules, fired: bareFired,
      text: null });
    if (p[1] < (st.spam ?? 0.5)) [pp, spamScore] = [bare.probs.spam, p[1]];
  }
  out.is_spam = spamScore >= (st.spam ?? 0.5);
  out.spam_type = out.is_spam ? heads.spam.labels[1 + argmax(pp.slice(1))] : null;
  if (!out.is_spam && st.repeat != null) {
    out.spam_type = ruleSpamType(norm, st.repeat);
    out.is_spam = out.spam_type !== null;
  } else if (st.repeat != null && out.spam_type === 'irrelevant') { // a repeated unit is not chat (decide_spam)
    out.spam_type = ruleSpamType(norm, st.repeat) ?? out.spam_type;
  }
  if (out.is_spam && rules) {
    const sig = rules.spam;
    if ((sig.link.test(norm) || sig.contact.test(norm)) && sig.solicit.test(norm)) out.spam_type = 'ad';
  }
  if (floodWithoutRepetition(out.spam_type, norm, st)) {
    out.is_spam = false;
    out.spam_type = null;
  }
  // a critical complaint pasted again and again is still one (pipeline._spam, rule J6)
  if (out.is_spam && out.spam_type === 'flood' && Object.keys(combined).length && signalled) {
    out.is_spam = false;
    out.spam_type = null;
  }
  // "女朋友很喜欢", "这本书…": whom it was for liked it, or the book reviewed named: a review, not chat or insult
  // (pipeline._spam, tasks/review_form.py is_review_form); files written before them lack the patterns
  // ... unless it links, leaves a contact or solicits ("女朋友很喜欢，兼职日结200" is an ad)
  const form = rules ? rules.spam : null;
  if (out.is_spam && REVIEW_FORM_TYPES.includes(out.spam_type) && Object.keys(combined).length && reviewForms && form
      && ((form.liked && form.liked.test(norm)) || (form.book && form.book.test(norm)))
      && !advertises(rules, norm)) {
    out.is_spam = false;
    out.spam_type = null;
  }
  // an ad the buyer quotes, or a link given as evidence: a report, not an ad (pipeline._reports_ad; rules FB, FC)
  const reportsAd = () => Boolean(rules && Object.keys(combined).length
    && (st.reported_ads ?? DEFAULT_POINTS.spam.reported_ads) !== 0 && isReportedAd(rules, norm));
  if (out.is_spam && out.spam_type === 'ad' && reportsAd()) {
    out.is_spam = false;
    out.spam_type = null;
  }
  // emoji or punctuation alone (pipeline._mark_no_words)
  if (noWords) [out.is_spam, out.spam_type] = noWordsSpam(rules.noWords, out.is_spam, norm);
  // a bare chat phrase ("收到", "有人吗") on which no signal fires (pipeline._mark_ruled): not spam ... or a bare
  // star rating ("5星"; tasks/rating.py), whose sentiment is its number's ... or a platform placeholder ("此用户未填写
  // 评价内容"; tasks/placeholder.py), neutral ... or a bare negated complaint ("质量不差"; tasks/negated.py), on its
  // negation's side ... or, where the point bare_question is on, a bare question
  // ("怎么取消订单？"; tasks/question.py), neutral
  const ruledOk = Boolean(heads.issue_types.combiner && ['negative', 'neutral', 'positive']
    .every((l) => heads.sentiment.labels.includes(l)) && !noWords && !fired.length);
  const it = th('issue_types');
  const verdictOk = ruledOk && (it.bare_verdict ?? DEFAULT_POINTS.issue_types.bare_verdict) !== 0;
  const bareChat = verdictOk && isBareChat(rules.verdict, norm);
  const bareRating = verdictOk && !bareChat ? bareRatingSide(rules.verdict, norm) : null;
  const placeholder = verdictOk && !bareChat && !bareRating && isPlaceholder(rules.verdict, norm);
  const negated = verdictOk && !bareChat && !bareRating && !placeholder ? negatedSide(rules.verdict, norm) : null;
  const bareQuestion = ruledOk && !bareChat && !bareRating && !placeholder && !negated
    && (it.bare_question ?? DEFAULT_POINTS.issue_types.bare_question) !== 0 && isBareQuestion(rules.verdict, norm);
  // pipeline Doc.ruled: the reason of the rule that decides the record alone
  const ruled = bareChat ? CHAT_REASON : (bareRating ? RATING_REASON : (placeholder ? PLACEHOLDER_REASON
    : (negated ? NEGATED_REASON : (bareQuestion ? QUESTION_REASON : null))));
  if (ruled) [out.is_spam, out.spam_type] = [false, null];
  // what a poster advertises, kept by the spam decision, with no signal (pipeline._posted_ad): a notice sending
  // readers to a contact channel, or a shop's own review-for-reward card that does not read negative
  const postedOk = Boolean(!ruled && !out.is_spam && rules && !fired.length
    && (st.posted_ad ?? DEFAULT_POINTS.spam.posted_ad) !== 0);
  let postedAd = null;
  if (postedOk && isPostedNotice(rules, norm)) postedAd = POSTED_NOTICE_REASON;
  else if (postedOk && isMerchantCard(rules, norm)
    && heads.sentiment.labels[argmax(sentimentProbs(model, probs, unread))] !== 'negative') {
    postedAd = MERCHANT_CARD_REASON;
  }
  if (postedAd && reportsAd()) postedAd = null;
  if (postedAd) [out.is_spam, out.spam_type] = [true, 'ad'];
  // other commenters insulted ("楼上那个…智障一个"), kept by the spam decision, with no signal: abuse (pipeline._spam;
  // rule FA)
  else if (!ruled && !out.is_spam && rules && Object.keys(combined).length && !fired.length && !noWords
    && (st.commenter_abuse ?? DEFAULT_POINTS.spam.commenter_abuse) !== 0 && insultsCommenter(rules, norm)) {
    [out.is_spam, out.spam_type] = [true, 'abuse'];
  }
  out.spam_score = round6(spamScore);
  // issue types (tasks/issue_types.py decide_issue_types, illness_first): none below the gate
  const il = heads.issue_types.labels;
  const issues = issueDecision(heads, probs.issue_types, it);
  out.issue_scores = issues.scores;
  // a repeated complaint ("退款退款…", spam flood / gibberish: pipeline.REPEATED_SPAM) is read without the gate
  const gated = !(out.is_spam && REPEATED_SPAM.includes(out.spam_type));
  let chosen = gated && combined.issue_types && combined.issue_types[1] < (it.gate ?? 0) ? [] : issues.chosen;
  // a bare verdict on which no escalation signal fires: no issue type, severity low (codebook v1.1)
  const bareVerdict = Boolean(heads.issue_types.combiner && !out.is_spam && !fired.length
    && (it.bare_verdict ?? DEFAULT_POINTS.issue_types.bare_verdict) !== 0 && isBareVerdict(rules.verdict, norm));
  if (bareVerdict) chosen = [];
  // a bare threat ("我要投诉") on which no signal of the critical kind fires: other, severity high (codebook v1.2)
  const bareThreat = Boolean(heads.issue_types.combiner && !out.is_spam && !bareVerdict && il.includes('other')
    && (it.bare_verdict ?? DEFAULT_POINTS.issue_types.bare_verdict) !== 0
    && !signalled && isBareThreat(rules.verdict, norm));
  if (bareThreat) chosen = ['other'];
  if (heads.issue_types.combiner && il.includes('product_quality') && rules.illness.test(norm)) {
    chosen = ['product_quality', ...chosen.filter((lab) => lab !== 'product_quality')];
  }
  // emoji or punctuation alone name no problem; sentiment from the emoji (pipeline._mark_no_words)
  if (noWords || ruled) chosen = [];
  out.issue_types = out.is_spam ? [] : chosen;
  out.primary_issue = out.issue_types.length ? out.issue_types[0] : null;
  // sentiment
  const sl = heads.sentiment.labels;
  let sp = noWords ? emojiProbs(rules.noWords, sl, norm) : sentimentProbs(model, probs, unread);
  if (bareChat && sl[argmax(sp)] === 'negative') sp = neutralProbs(sl);
  if (bareRating) sp = sideProbs(rules.noWords, sl, bareRating);
  if (negated) sp = sideProbs(rules.noWords, sl, negated);
  if (bareQuestion || placeholder) sp = neutralProbs(sl);
  out.sentiment = sl[argmax(sp)];
  out.sentiment_score = round6(Math.fround(sp[sl.indexOf('positive')] - sp[sl.indexOf('negative')]));
  // severity (tasks/severity.py decide_severity_combined / decide_severity)
  const vt = th('severity');
  const reviewReasons = [];
  if (out.is_spam) {
    out.severity = 'low';
    out.severity_reasons = postedAd ? ['spam', postedAd] : ['spam'];
  } else if (bareVerdict) {
    out.severity = 'low';
    out.severity_reasons = [BARE_VERDICT_REASON];
  } else if (bareThreat) {
    out.severity = 'high';
    out.severity_reasons = [BARE_THREAT_REASON, ...fired.map((r) => r.reason)];
  } else if (noWords) {
    out.severity = 'low';
    out.severity_reasons = [NO_WORDS_REASON];
  } else if (ruled) {
    out.severity = 'low';
    out.severity_reasons = [ruled];
  } else if (combined.severity) {
    const p = combined.severity;
    const pc = p[3];
    // a text that is not Chinese: its P(critical) alone never makes it critical (critical_not_chinese); nor does it
    // for a platform's penalty on an account (tasks/severity.py names_platform_penalty; critical_penalty)
    const penalty = Boolean(rules && rules.platformPenalty && rules.platformPenalty.test(norm));
    const notChinese = isNotChinese(norm);
    let point;
    if (signalled) point = vt.critical;
    else if (notChinese) point = vt.critical_not_chinese ?? DEFAULT_POINTS.severity.critical_not_chinese;
    else if (penalty) point = vt.critical_penalty ?? DEFAULT_POINTS.severity.critical_penalty;
    else point = vt.critical_unsignalled ?? vt.critical;
    let level;
    if (pc >= point) level = 3;
    else {
      const ev = p.reduce((acc, v, i) => acc + v * i, 0);
      level = (ev >= vt.ev_medium ? 1 : 0) + (ev >= vt.ev_high ? 1 : 0);
      if (fired.some((r) => r.minimum === 'high')) level = Math.max(level, 2);
      // ... nor does its P(critical) lift it into the review band, unless band_not_chinese is 1 (rule FE)
      const bandOff = notChinese && !signalled
        && (vt.band_not_chinese ?? DEFAULT_POINTS.severity.band_not_chinese) === 0;
      if (!bandOff && pc >= (vt.critical_review ?? 1.0)) {
        level = Math.max(level, 2);
        const signals = fired.filter((r) => r.minimum === 'critical').map((r) => r.reason).join(', ')
          || 'no escalation signal';
        reviewReasons.push(`close to critical: P(critical) ${fmt2(pc)} < ${fmt2(point)} (${signals})`);
      }
    }
    out.severity = SEVERITIES[level];
    out.severity_reasons = [`decision: ${out.severity} (P(critical)=${fmt2(pc)})`, ...fired.map((r) => r.reason)];
    for (const r of reviewReasons) out.severity_reasons.push(`needs review: ${r}`);
  } else {
    const vp = probs.severity;
    let level = modelSeverity(vp, vt);
    out.severity_reasons = [`model: ${SEVERITIES[level]} (p=${fmt2(vp[level])})`];
    for (const r of fired) {
      out.severity_reasons.push(r.reason);
      level = Math.max(level, SEVERITIES.indexOf(r.minimum));
    }
    out.severity = SEVERITIES[level];
  }
  // route (pipeline._route): every non-spam record at medium or above gets an owner
  out.route = null;
  if (!out.is_spam) {
    if (!out.issue_types.length && SEVERITIES.indexOf(out.severity) >= 1) {
      const labs = Object.keys(out.issue_scores);
      const best = labs.length ? labs.reduce((a, b) => (out.issue_scores[b] > out.issue_scores[a] ? b : a)) : null;
      let fallback;
      if (best !== null && out.issue_scores[best] >= 0.5 * (it[best] ?? 0.5)) fallback = best;
      else fallback = il.includes('other') ? 'other' : best;
      if (fallback !== null) {
        out.issue_types = [fallback];
        out.primary_issue = fallback;
        out.severity_reasons.push(`routed by severity: no issue type reached its threshold, ${fallback} taken`);
      }
    }
    out.route = route(model.routing, out.primary_issue, out.severity);
  }
  // needs_review (pipeline._review)
  const spamMargin = Math.abs(out.spam_score - (st.spam ?? 0.5))
    < (st.review_margin ?? DEFAULT_POINTS.spam.review_margin);
  const sentConf = Math.max(...sp) < (th('sentiment').review ?? DEFAULT_POINTS.sentiment.review);
  const sevConf = Math.max(...probs.severity) < (vt.review ?? DEFAULT_POINTS.severity.review);
  const complaint = spamComplaint(out, chosen, st);
  if (complaint) out.severity_reasons.push(`${SPAM_COMPLAINT_REASON} ${chosen.join(', ')}`);
  // a record decided by its rule alone (pipeline Doc.ruled): the heads' doubts send nothing to review
  out.needs_review = (!ruled && (spamMargin || sentConf || sevConf)) || complaint || reviewReasons.length > 0;
  if (unread && !noWords) out.severity_reasons.push(UNREAD_REASON);
  if (isNotChinese(norm)) {
    out.needs_review = true;
    out.severity_reasons.push(NOT_CHINESE_REASON);
  }
  return out;
}

/** tasks/severity.py model_severity: the head's own level (index into SEVERITIES). */
function modelSeverity(vp, vt) {
  if (geF32(vp[3], vt.critical ?? 0.5)) return 3;
  if (vt.ev_medium != null && vt.ev_high != null && vt.ev_critical != null) {
    const ev = vp.reduce((acc, p, i) => acc + p * i, 0);
    return [vt.ev_medium, vt.ev_high, vt.ev_critical].filter((c) => ev >= c).length;
  }
  return argmax(vp);
}

/** tasks/routing.py RoutingTable.route. */
function route(table, primary, severity) {
  if (primary === null || !table) return null;
  const team = (table.teams || {})[primary] ?? table.default_team ?? null;
  if (team === null) return null;
  const over = (table.sla_overrides || {})[primary] || {};
  return { team, sla_hours: over[severity] ?? (table.sla_hours || {})[severity] ?? null };
}

/** pipeline._mark_unread: the model knows no n-gram of the text (its featurize() row is empty) and its
 * sentiment head has "neutral". */
function isUnread(model, feat) {
  return model.card.tasks.sentiment.labels.includes('neutral') && feat.ids.length === 0;
}

/** The sentiment probabilities decided on: neutral (one-hot) for an unread text, not the head's prior.
 * Only the sentiment decision changes; the combiners read the heads' own probabilities. */
function sentimentProbs(model, probs, unread) {
  return unread ? neutralProbs(model.card.tasks.sentiment.labels) : probs.sentiment;
}

/** The library's result for a text that is empty after normalisation. */
function neutralResult(issueLabels = []) {
  // every issue type's score at 0: the shape of any other result (pipeline._analyze_chunk)
  const issueScores = Object.fromEntries(issueLabels.map((l) => [l, 0]));
  return { is_spam: false, spam_type: null, spam_score: 0, issue_types: [], primary_issue: null,
    issue_scores: issueScores,
    sentiment: 'neutral', sentiment_score: 0, severity: 'low', severity_reasons: ['empty text'], route: null,
    needs_review: false };
}

// ---------------------------------------------------------------------------- script check
// feedback_nlp.text.is_not_chinese: Han characters are under half of the letter units
// (each Han, kana or Hangul character one unit; each run of other letters one unit) and
// at least 2 units are not Han. Python's [^\W\d_] (letters) is [\p{L}\p{Nl}\p{No}] here.
const HAN = '\u3400-\u4dbf\u4e00-\u9fff\uf900-\ufaff\u{20000}-\u{3134f}';
const HAN_RE = new RegExp(`[${HAN}]`, 'gu');
const NON_HAN_LETTER = new RegExp(`(?![${HAN}])[\\p{L}\\p{Nl}\\p{No}]`, 'u');
const SYLLABIC_RE = /[\u3040-\u30ff\u31f0-\u31ff\u1100-\u11ff\u3130-\u318f\uac00-\ud7af]/gu;
const LETTER_RUN_RE = /[\p{L}\p{Nl}\p{No}]+/gu;

function isNotChinese(norm, minShare = 0.5, minForeignUnits = 2) {
  if (!NON_HAN_LETTER.test(norm)) return false;
  const nHan = (norm.match(HAN_RE) || []).length;
  let rest = norm.replace(HAN_RE, ' ');
  const nSyll = (rest.match(SYLLABIC_RE) || []).length;
  rest = rest.replace(SYLLABIC_RE, ' ');
  const units = nHan + nSyll + (rest.match(LETTER_RUN_RE) || []).length;
  const share = units ? nHan / units : 1;
  return share < minShare && units - Math.round(share * units) >= minForeignUnits;
}

// ---------------------------------------------------------------------------- command line
function parseArgs(argv) {
  const args = { model: path.resolve(__dirname, '../../models/feedback-zh-ngram'), normalized: false,
    headsOnly: false, batchSize: 256, input: '-', thresholds: [], channelField: 'channel' };
  let inputs = 0;
  const value = (i, name) => {
    if (i >= argv.length) throw new Error(`${name} needs a value`);
    return argv[i];
  };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    if (a === '--model') args.model = value(++i, a);
    else if (a === '--normalized') args.normalized = true;
    else if (a === '--heads-only') args.headsOnly = true;
    else if (a === '--batch-size') {
      const v = value(++i, a);
      if (!/^[1-9][0-9]*$/.test(v)) {
        throw new Error(`--batch-size must be a positive integer, got ${JSON.stringify(v)}`);
      }
      args.batchSize = Number(v);
    } else if (a === '--threshold') args.thresholds.push(value(++i, a));
    else if (a === '--channel-field') args.channelField = value(++i, a);
    else if (a === '-h' || a === '--help') args.help = true;
    else if (a === '--selftest') args.selftest = true;
    else if (a.startsWith('-') && a !== '-') throw new Error(`unknown option ${a} (see --help)`);
    else {
      inputs += 1;
      if (inputs > 1) throw new Error(`one input file, got ${JSON.stringify(args.input)} and ${JSON.stringify(a)}`);
      args.input = a;
    }
  }
  return args;
}

// ---------------------------------------------------------------------------- self-test (npm test)
// Expected values written from the Python library (feedback_nlp.normalize, FeedbackAnalyzer
// with the shipped model); tests/test_node.py checks the full parity.
const SELFTEST_NORMALIZE = [
  ['  全角ＡＢＣ１２３\u3000空格\t\n換行', '全角abc123 空格 换行'],
  ['這個商品質量很差，客服態度也不好', '这个商品质量很差,客服态度也不好'],
];
const SELFTEST_SCRIPT = [
  ['the package arrived broken, very disappointed', true], ['배송이 너무 느려요', true],
  ['iphone充电器坏了', false], ['👍👍👍', false], ['123456', false], ['ok', false],
];
const SELFTEST_DECISIONS = [
  ['质量很好,物流也快,下次还来买', { sentiment: 'positive', issue_types: [] }],
  ['快递十天都没到,客服也不回消息,什么垃圾平台', { sentiment: 'negative', issue_types: ['customer_service', 'logistics'] }],
  ['🦩🦩', { sentiment: 'neutral', issue_types: [] }], // no n-gram the model knows: neutral, not the prior
];

async function selftest(modelDir) {
  const failures = [];
  let n = 0;
  const check = (ok, what) => { n += 1; if (!ok) failures.push(what); };
  for (const [text, want] of SELFTEST_NORMALIZE) {
    let got;
    try { got = normalize(text); } catch (e) { got = `error: ${e.message}`; }
    check(got === want, `normalize(${JSON.stringify(text)}) = ${JSON.stringify(got)}, want ${JSON.stringify(want)}`);
  }
  for (const [norm, want] of SELFTEST_SCRIPT) check(isNotChinese(norm) === want, `isNotChinese(${norm}) != ${want}`);
  const model = await loadModel(modelDir);
  const feats = SELFTEST_DECISIONS.map(([t]) => featurize(model, t));
  const probs = await predictProba(model, SELFTEST_DECISIONS.map(([t]) => t), feats);
  SELFTEST_DECISIONS.forEach(([norm, want], i) => {
    const p = {};
    for (const t of model.tasks) p[t] = probs[t][i];
    const got = decide(model, p, norm, isUnread(model, feats[i]));
    check(got.sentiment === want.sentiment, `${norm}: sentiment ${got.sentiment}, want ${want.sentiment}`);
    check(JSON.stringify(got.issue_types) === JSON.stringify(want.issue_types),
      `${norm}: issue types ${JSON.stringify(got.issue_types)}, want ${JSON.stringify(want.issue_types)}`);
  });
  // the decision stage: illness and a 12315 threat -> critical, product_quality first, its team in 2 hours
  const harm = '吃了外卖全家上吐下泻,我要打12315投诉';
  const hp = await predictProba(model, [harm]);
  const p = {};
  for (const t of model.tasks) p[t] = hp[t][0];
  const got = decideFull(model, p, harm);
  check(got.severity === 'critical' && got.primary_issue === 'product_quality' && got.route.sla_hours === 2,
    `${harm}: ${got.severity} ${got.primary_issue} ${JSON.stringify(got.route)}, want critical product_quality 2 h`);
  for (const f of failures) process.stderr.write(`selftest: FAIL ${f}\n`);
  process.stdout.write(`selftest: ${n - failures.length} of ${n} checks passed\n`);
  return failures.length === 0;
}

async function main() {
  const args = parseArgs(process.argv.slice(2));
  if (args.help) {
    process.stdout.write('usage: node score.js [--model DIR] [--normalized] [--heads-only] [--batch-size N] ' +
      '[--threshold TASK.KEY[@CHANNEL]=VALUE ...] [--channel-field NAME] [INPUT.jsonl|-]\n' +
      '       node score.js --selftest   (npm test: checks against values from the Python library)\n');
    return;
  }
  if (args.selftest) {
    if (!(await selftest(args.model))) process.exitCode = 1;
    return;
  }
  if (args.headsOnly && args.thresholds.length) {
    throw new Error('--threshold is for the decision stage, not --heads-only');
  }
  const model = await loadModel(args.model, { headsOnly: args.headsOnly });
  applyThresholds(model, args.thresholds);
  const input = args.input === '-' ? process.stdin : fs.createReadStream(args.input);
  let batch = [];
  let row = 0;
  const flush = async () => {
    const good = batch.filter((b) => b.norm !== undefined);
    const feats = good.map((b) => featurize(model, b.norm));
    const probs = good.length ? await predictProba(model, good.map((b) => b.norm), feats) : {};
    // one text's row of every task's probabilities
    const row = (rows, i) => Object.fromEntries(model.tasks.map((t) => [t, rows[t][i]]));
    // the texts without their padding, read only for the spam decision of a flagged padded text (decideFull)
    const read = args.headsOnly ? [] : good.map((b, i) => b.norm
      && needsUnpadded(model, row(probs, i), b.norm, b.channel, isUnread(model, feats[i])));
    const padded = good.map((b, i) => i).filter((i) => read[i]);
    const bare = padded.map((i) => unpadded(model.rules, good[i].norm));
    const bareProbs = padded.length ? await predictProba(model, bare) : {};
    const bareAt = new Map(padded.map((i, k) => [i, k]));
    let g = 0;
    const lines = batch.map((b) => {
      if (b.error) return JSON.stringify({ id: b.id, error: b.error });
      const p = row(probs, g);
      const feat = feats[g];
      const k = bareAt.get(g);
      const bareRead = k === undefined ? null : { norm: bare[k], probs: row(bareProbs, k), ...read[g] };
      g += 1;
      if (!b.norm) { // empty after normalisation: the library's neutral result, no model
        return JSON.stringify({ id: b.id, norm: b.norm, probs: null, empty: true,
          ...(args.headsOnly ? {} : neutralResult(model.card.tasks.issue_types.labels)) });
      }
      const unread = isUnread(model, feat);
      const decided = args.headsOnly ? decide(model, p, b.norm, unread)
        : decideFull(model, p, b.norm, b.channel, unread, bareRead);
      return JSON.stringify({ id: b.id, norm: b.norm, probs: p, ...decided });
    });
    if (lines.length) process.stdout.write(lines.join('\n') + '\n');
    batch = [];
  };
  for await (const { line, error } of utf8Lines(input)) {
    row += 1;
    if (error) {
      batch.push({ id: row, error });
    } else if (!line.trim()) {
      batch.push({ id: row, error: 'empty line' });
    } else {
      let obj;
      try {
        obj = JSON.parse(row === 1 ? line.replace(/^\ufeff/, '') : line); // a BOM starts Windows exports
      } catch (e) {
        batch.push({ id: row, error: `invalid JSON: ${e.message}` });
        continue;
      }
      const id = obj !== null && typeof obj === 'object' && !Array.isArray(obj) ? obj.id ?? row : row;
      if (obj === null || typeof obj !== 'object' || Array.isArray(obj)) {
        batch.push({ id: row, error: `expected a JSON object, got ${jsonType(obj)}` });
      } else if (!('text' in obj)) {
        batch.push({ id, error: "missing text field 'text'" });
      } else if (typeof obj.text !== 'string') {
        batch.push({ id, error: `text field must be a string, got ${jsonType(obj.text)}` });
      } else {
        // a lone surrogate (escaped in the JSON) becomes U+FFFD, as the Python reader makes it
        const text = obj.text.replace(LONE_SURROGATE, '\ufffd');
        const ch = obj[args.channelField];
        batch.push({ id, norm: args.normalized ? text : normalize(text),
          channel: ch === undefined || ch === null || ch === '' ? null : String(ch) });
      }
    }
    if (batch.length >= args.batchSize) await flush();
  }
  await flush();
}

/** JSON value type names as the Python reader gives them (io.reading._json_type). */
function jsonType(v) {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return { boolean: 'boolean', number: 'number', string: 'string' }[typeof v] || 'object';
}

/** The input's lines ({line} or {error}), split on \n (a \r before it dropped) and decoded as strict UTF-8: a line
 * that is not UTF-8 is that row's error, as in the Python reader, not text with U+FFFD in it. */
async function* utf8Lines(input) {
  const decoder = new TextDecoder('utf-8', { fatal: true });
  let rest = Buffer.alloc(0);
  const decode = (bytes) => {
    const b = bytes.length && bytes[bytes.length - 1] === 0x0d ? bytes.subarray(0, bytes.length - 1) : bytes;
    try {
      return { line: decoder.decode(b) };
    } catch (e) {
      return { error: 'invalid UTF-8 (the Node host reads UTF-8 only)' };
    }
  };
  for await (const chunk of input) {
    let buf = rest.length ? Buffer.concat([rest, chunk]) : chunk;
    let nl;
    while ((nl = buf.indexOf(0x0a)) >= 0) {
      yield decode(buf.subarray(0, nl));
      buf = buf.subarray(nl + 1);
    }
    rest = Buffer.from(buf);
  }
  if (rest.length) yield decode(rest);
}

module.exports = {
  loadModel, applyThresholds, normalize, featurize, predictProba, isUnread, decide, decideFull, textEvidence,
  isNotChinese,
  readNpyFloat32, round6,
};

if (require.main === module) {
  process.stdout.on('error', (e) => { // a reader that stops early (| head): end quietly, as Python does
    if (e.code === 'EPIPE') process.exit(0);
    throw e;
  });
  main().catch((e) => {
    process.stderr.write(`score.js: error: ${e.message}\n`);
    process.exit(2);
  });
}
