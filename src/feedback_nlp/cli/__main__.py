"""``python -m feedback_nlp.cli``: the ``feedback-nlp`` command line."""
from .main import main

if __name__ == "__main__":
    raise SystemExit(main())
