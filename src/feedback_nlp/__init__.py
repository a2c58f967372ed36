"""feedback-nlp: turn raw Chinese e-commerce feedback into decisions a platform can act on.

>>> from feedback_nlp import FeedbackAnalyzer
>>> fa = FeedbackAnalyzer.load()
>>> fa.analyze("快递十天都没到，客服也不回消息，什么垃圾平台").to_dict()  # doctest: +SKIP
"""
from .features import NgramFeaturizer
from .modeling import ModelFormatError, NgramModel
from .pipeline import FeedbackAnalyzer
from .result import FIELDS, FeedbackResult
from .tasks.routing import RoutingTable
from .text import mask_pii, normalize

__version__ = "0.1.0"

__all__ = ["FIELDS", "FeedbackAnalyzer", "FeedbackResult", "ModelFormatError", "NgramFeaturizer", "NgramModel",
           "RoutingTable", "mask_pii", "normalize", "__version__"]
