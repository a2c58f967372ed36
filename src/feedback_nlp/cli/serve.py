"""``serve``: the HTTP service (the ``[serve]`` extra)."""

from __future__ import annotations

from .common import add_model_args, analyzer_from_args, CLIError, parse_task_models, parse_thresholds


def _add_serve(sub) -> None:
    from ..serve import DEFAULT_MAX_BYTES, DEFAULT_MAX_RECORDS  # stdlib-only module top

    p = sub.add_parser("serve", help="serve POST /v1/analyze over HTTP (needs the [serve] extra)",
                       description="Run the HTTP service (FastAPI + uvicorn): POST /v1/analyze with "
                                   '{"texts": [...]} or {"records": [{"id": ..., "text": ...}]} returns '
                                   '{"results": [...]}, the records `score` writes; GET /healthz; '
                                   "OpenAPI docs at /docs.")
    p.add_argument("--host", default="127.0.0.1", help="address to bind (default: 127.0.0.1, loopback only)")
    p.add_argument("--port", type=int, default=8000, help="port (default: 8000; 0 picks a free one)")
    p.add_argument("--workers", type=int, default=1, metavar="N",
                   help="worker processes, each loading the model once (default: 1)")
    p.add_argument("--max-records", type=int, default=DEFAULT_MAX_RECORDS, metavar="N",
                   help=f"most records per request; more get 413 (default: {DEFAULT_MAX_RECORDS})")
    p.add_argument("--max-bytes", type=int, default=DEFAULT_MAX_BYTES, metavar="N",
                   help=f"largest request body in bytes; larger gets 413 (default: {DEFAULT_MAX_BYTES})")
    add_model_args(p)
    p.set_defaults(func=_cmd_serve)


def _cmd_serve(args) -> int:
    from ..serve import require_serve_extra, run

    try:
        require_serve_extra()
    except ImportError as e:
        raise CLIError(str(e)) from None
    if args.workers < 1 or args.max_records < 1 or args.max_bytes < 1:
        raise CLIError("--workers, --max-records and --max-bytes must be at least 1")
    analyzer = analyzer_from_args(args)  # a bad model fails here, in one line
    run(args.host, args.port, args.workers, model=args.model, routing=args.routing,
        thresholds=parse_thresholds(args.threshold), task_models=parse_task_models(args.task_model),
        analyzer=analyzer if args.workers == 1 else None, max_records=args.max_records, max_bytes=args.max_bytes)
    return 0
