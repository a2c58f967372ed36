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
- :mod:`.linkage`: average-linkage agglomerative clustering with a similarity
  threshold (each encoder carries its own default threshold), with k-means
  micro-clusters above ``max_units`` texts;
- :mod:`.recentre`: opt-in cosines relative to the batch (``recentre=K``: mean and top K principal
  directions removed);
- :mod:`.clusterer`: the estimator (eligibility, final reassignment to the nearest
  cluster mean, ``min_size``, stable ids, ``predict``);
- :mod:`.summary`: keywords, labels, representatives, mixes and counts per cluster;
- :mod:`.spam`: recurring spam (a campaign of similar posts) kept out of the problems;
- :mod:`.command`: the ``feedback-nlp cluster`` command.

Clustering: clusters are merged while the mean cosine similarity between their
members is at least ``threshold``. Up to ``max_units`` texts are clustered from
single texts; above that, texts are first grouped into ``max_units``
micro-clusters by a few rounds of spherical k-means (seeded), and the
micro-clusters are merged. Finally each text is (re)assigned to the cluster
whose mean it is most similar to, if that similarity is at least
``assign_threshold`` (default: ``threshold``), means are recomputed once, and
clusters smaller than ``min_size`` are dropped: their texts are noise,
``cluster_id`` None. :meth:`~ProblemClusterer.predict` applies the same last step to new texts.

Results are deterministic for the same input (order included) and ``seed``.
"""
from ..encoders.ngram import TextVectorizer
from .clusterer import EMBEDDINGS_THRESHOLD, ProblemClusterer
from .command import run_cluster_command
from .linkage import average_linkage
from .spam import fit_without_recurring_spam, recurring_spam

__all__ = ["ProblemClusterer", "TextVectorizer", "run_cluster_command", "average_linkage", "EMBEDDINGS_THRESHOLD",
           "fit_without_recurring_spam", "recurring_spam"]
