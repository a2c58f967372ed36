"""feedback-nlp: turn raw Chinese e-commerce feedback into decisions a platform can act on.

>>> from feedback_nlp import FeedbackAnalyzer
>>> fa = FeedbackAnalyzer.load()
>>> fa.analyze("快递十天都没到，客服也不回消息，什么垃圾平台").to_dict()  # doctest: +SKIP
"""
from importlib import import_module

__version__ = "0.1.0"

# Public names, imported on first use so that `feedback-nlp --help` starts fast.
_EXPORTS = {
    "FeedbackAnalyzer": "pipeline", "FeedbackResult": "result", "FIELDS": "result",
    "NgramFeaturizer": "features", "NgramModel": "modeling", "ModelFormatError": "modeling",
    "EnsembleModel": "ensemble", "RoutingTable": "tasks.routing", "normalize": "text", "mask_pii": "text",
    "ProblemClusterer": "cluster",
}
__all__ = sorted(_EXPORTS) + ["__version__"]


def __getattr__(name):
    if name in _EXPORTS:
        value = getattr(import_module(f".{_EXPORTS[name]}", __name__), name)
        globals()[name] = value
        return value
    raise AttributeError(f"module 'feedback_nlp' has no attribute {name!r}")


def __dir__():
    return __all__
