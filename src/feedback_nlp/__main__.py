"""``python -m feedback_nlp``: the ``feedback-nlp`` command line."""
from .cli import main

if __name__ == "__main__":
    raise SystemExit(main())
