"""Recurring-problem discovery: group complaints about the same concrete problem.

:class:`ProblemClusterer` finds groups of feedback about one problem
("充电器发烫", "送餐超时") without being told how many there are, labels them
with their keywords and summarises each (size, share, representative texts,
issue-type / severity / sentiment mix, first/last seen, counts per period).
New records can then be assigned to the existing clusters (:meth:`ProblemClusterer.predict`)
without re-clustering. numpy (+ jieba for keywords) only.

One idea per module:

- representation: an encoder from :mod:`feedback_nlp.encoders` turns texts into
  unit vectors (``encoder=``: ``"semantic+ngram"`` by default, ``"semantic"``, ``"ngram"``,
  a pretrained encoder or any :class:`~feedback_nlp.encoders.Encoder`; or ``embeddings=`` in
  :meth:`~ProblemClusterer.fit`);
- :mod:`.snn`: shared-nearest-neighbour similarity (the default up to ``SNN_MAX_TEXTS`` texts,
  ``similarity="auto"``): two texts are alike when their nearest neighbours above a cosine floor are the same;
- :mod:`.linkage`: average-linkage agglomerative clustering with a similarity
  threshold, on cosines or on a given matrix, with k-means micro-clusters above ``max_units`` texts;
- :mod:`.recentre`: opt-in cosines relative to the batch (``recentre=K``: mean and top K principal
  directions removed);
- :mod:`.clusterer`: the estimator (eligibility, final reassignment to the nearest
  cluster mean, ``min_size``, stable ids, ``predict``);
- :mod:`.summary`: keywords, labels, representatives, mixes and counts per cluster;
- :mod:`.spam`: recurring spam (a campaign of similar posts) kept out of the problems;
- :mod:`.command`: the ``feedback-nlp cluster`` command.

Clustering: clusters are merged while the mean similarity between their members
is at least ``threshold``: the share of shared neighbours (default 0.1; up to 8,000 texts
by default), or the cosine (each encoder carries its own default; above 8,000 texts). Up to
``max_units`` texts are clustered from single texts; above that, texts are first
grouped into ``max_units`` micro-clusters by a few rounds of spherical k-means
(seeded), and the micro-clusters are merged. Finally each text is (re)assigned to
the cluster it is most similar to on average, if that similarity is at least
``assign_threshold`` (default: ``threshold``), the clusters are recomputed once, and
clusters smaller than ``min_size`` are dropped: their texts are noise,
``cluster_id`` None. :meth:`~ProblemClusterer.predict` applies the same last step to new texts.

Results are deterministic for the same input (order included) and ``seed``.
"""
from ..encoders.ngram import TextVectorizer
from .clusterer import EMBEDDINGS_THRESHOLD, SIMILARITIES, SNN_MAX_TEXTS, SNN_THRESHOLD, ProblemClusterer
from .command import run_cluster_command
from .linkage import average_linkage
from .spam import fit_without_recurring_spam, recurring_spam

__all__ = ["ProblemClusterer", "TextVectorizer", "run_cluster_command", "average_linkage", "EMBEDDINGS_THRESHOLD",
           "SNN_THRESHOLD", "SNN_MAX_TEXTS", "SIMILARITIES", "fit_without_recurring_spam", "recurring_spam"]
