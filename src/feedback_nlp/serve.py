"""HTTP service: ``POST /v1/analyze`` returns the records ``feedback-nlp score`` writes.

A thin FastAPI layer over :class:`~feedback_nlp.pipeline.FeedbackAnalyzer`, run by
uvicorn (the ``[serve]`` extra). Every request goes through
:func:`feedback_nlp.io.record_from_object` and :func:`feedback_nlp.io.score_records`,
the functions behind ``score``, so a record gets exactly the fields, order and error
record the CLI gives the same JSON object on a JSONL line.

>>> from feedback_nlp.serve import create_app          # doctest: +SKIP
>>> app = create_app(max_records=100)                  # model loaded at start-up
>>> # uvicorn.run(app, host="127.0.0.1", port=8000)

Endpoints: ``POST /v1/analyze`` (``{"texts": [...]}`` or ``{"records": [{"id": ..,
"text": ..}]}`` -> ``{"results": [...]}``), ``GET /healthz``, ``GET /docs`` and
``GET /openapi.json``. A request over ``max_records`` records or ``max_bytes`` bytes
gets 413, a body that is not JSON 400, JSON of the wrong shape 422; a bad record
inside a good request gets its error record, never a failed request.
"""

import json
import os
from typing import Any, Optional

EXTRA_MESSAGE = 'the serve command needs the [serve] extra: pip install "feedback-nlp[serve]"'
DEFAULT_MAX_RECORDS = 1000
DEFAULT_MAX_BYTES = 4 * 1024 * 1024
#: Environment variable carrying :func:`create_app`'s options to uvicorn worker processes.
CONFIG_ENV = "FEEDBACK_NLP_SERVE_CONFIG"


def require_serve_extra() -> None:
    """Raise ImportError with :data:`EXTRA_MESSAGE` when FastAPI or uvicorn is missing."""
    try:
        import fastapi  # noqa: F401
        import uvicorn  # noqa: F401
    except ImportError as e:
        raise ImportError(EXTRA_MESSAGE) from e


def _model_info(analyzer) -> dict:
    """name/version of the model behind each task (from the model cards)."""
    tasks = {}
    for task, model in analyzer.task_models.items():
        card = getattr(model, "card", {}) or {}
        tasks[task] = {"name": card.get("name"), "version": card.get("version")}
    base = tasks.get("spam", {})
    return {"name": base.get("name"), "version": base.get("version"), "tasks": tasks}


def create_app(analyzer=None, *, model: Optional[str] = None, routing: Optional[str] = None,
               thresholds: Optional[dict] = None, task_models: Optional[dict] = None, max_records: int = DEFAULT_MAX_RECORDS,
               max_bytes: int = DEFAULT_MAX_BYTES, batch_size: int = 256):
    """The FastAPI application.

    ``analyzer``: a loaded :class:`FeedbackAnalyzer` to serve (tests, embedding); when
    None, ``FeedbackAnalyzer.load(model, routing=routing, thresholds=thresholds,
    tasks=task_models)`` runs once at start-up of each worker process.
    """
    require_serve_extra()
    from contextlib import asynccontextmanager

    from fastapi import FastAPI, Request
    from fastapi.responses import JSONResponse, Response
    from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
    from starlette.concurrency import run_in_threadpool
    from starlette.requests import ClientDisconnect

    from . import __version__
    from .io import (ERROR_FIELD, SCORE_FIELDNAMES, json_bytes, record_from_object, replace_lone_surrogates,
                     score_records)

    if max_records < 1 or max_bytes < 1:
        raise ValueError("max_records and max_bytes must be at least 1")

    class AnalyzeRequest(BaseModel):
        """Exactly one of ``texts`` or ``records``."""

        model_config = ConfigDict(extra="forbid")
        texts: Optional[list[Any]] = Field(
            None, description="texts to analyse; the id of each result is its 1-based position",
            examples=[["快递十天都没到，客服也不回消息", "很好用，推荐"]])
        records: Optional[list[Any]] = Field(
            None, description='objects {"id": ..., "text": ..., "channel": ...}; a missing or null id becomes '
                              "the 1-based position; channel (optional) picks the operating points given "
                              "for it (--threshold KEY@CHANNEL=VALUE)",
            examples=[[{"id": "a1", "text": "收到的耳机左边没声音"}]])

        @model_validator(mode="after")
        def _exactly_one(self):
            if (self.texts is None) == (self.records is None):
                raise ValueError('give exactly one of "texts" or "records"')
            return self

    class AnalyzeResponse(BaseModel):
        results: list[dict[str, Any]] = Field(
            description="one record per input, in input order: the fields of `feedback-nlp score` "
                        f"({', '.join(SCORE_FIELDNAMES)}); `{ERROR_FIELD}` only on records that could "
                        "not be analysed (its other fields null)")

    @asynccontextmanager
    async def lifespan(app):
        if app.state.analyzer is None:
            from .pipeline import FeedbackAnalyzer

            app.state.analyzer = FeedbackAnalyzer.load(model, routing=routing, thresholds=thresholds,
                                                          tasks=task_models or None)
        yield

    app = FastAPI(title="feedback-nlp", version=__version__, lifespan=lifespan,
                  description="Chinese e-commerce feedback analysis: spam, issue types, sentiment, "
                              "severity, routing. Records are those of `feedback-nlp score`.")
    app.state.analyzer = analyzer

    def error(status: int, detail) -> JSONResponse:
        return JSONResponse({"detail": detail}, status_code=status)

    async def read_body(request: Request) -> bytes | JSONResponse:
        declared = request.headers.get("content-length")
        if declared is not None:
            if not declared.isdigit():
                return error(400, f"invalid Content-Length header: {declared!r}")
            if int(declared) > max_bytes:
                return error(413, f"request body too large: {int(declared):,} bytes, the limit is "
                                  f"{max_bytes:,} bytes (--max-bytes)")
        body, n = [], 0
        try:
            async for chunk in request.stream():  # the real size, whatever the header said
                n += len(chunk)
                if n > max_bytes:
                    return error(413, f"request body too large: over {max_bytes:,} bytes, the limit (--max-bytes)")
                body.append(chunk)
        except ClientDisconnect:  # the client went away mid-body: nobody to answer, nothing to log as an error
            return error(499, "client closed the request")
        return b"".join(body)

    def _no_constants(name: str):
        raise ValueError(f"{name} is not valid JSON")

    def _finite_float(s: str) -> float:
        v = float(s)
        if v in (float("inf"), float("-inf")):
            raise ValueError(f"number {s[:40]} is out of range")
        return v

    @app.post("/v1/analyze", response_model=None,
              responses={200: {"model": AnalyzeResponse},
                         400: {"description": "the body is not valid JSON"},
                         413: {"description": f"more than max_records records (default {DEFAULT_MAX_RECORDS}) "
                                              f"or max_bytes bytes (default {DEFAULT_MAX_BYTES:,})"},
                         422: {"description": "JSON of the wrong shape (the detail names the field)"}},
              openapi_extra={"requestBody": {"required": True, "content": {
                  "application/json": {"schema": AnalyzeRequest.model_json_schema()}}}})
    async def analyze(request: Request):
        """Analyse texts or records; one result per input, in input order."""
        body = await read_body(request)
        if isinstance(body, JSONResponse):
            return body
        try:
            obj = json.loads(body, parse_constant=_no_constants, parse_float=_finite_float)
        except ValueError as e:  # JSONDecodeError, invalid UTF-8, NaN/Infinity, 1e999
            return error(400, f"malformed JSON: {e}")
        try:
            req = AnalyzeRequest.model_validate(obj)
        except ValidationError as e:
            return error(422, [{"loc": ["body", *err["loc"]], "msg": err["msg"], "type": err["type"]}
                               for err in e.errors()])
        items = req.texts if req.texts is not None else req.records
        if len(items) > max_records:
            return error(413, f"too many records: {len(items):,}, the limit is {max_records:,} per request "
                              "(--max-records)")
        # as the JSONL reader does: a lone surrogate escape ("\ud83d", half an emoji) reads as U+FFFD
        items = replace_lone_surrogates(list(items))
        if req.texts is not None:
            records = [record_from_object({"text": t}, i) for i, t in enumerate(items, 1)]
        else:
            records = [record_from_object(r, i) for i, r in enumerate(items, 1)]
        # CPU-bound: run in the thread pool so the event loop keeps serving other requests.
        results = await run_in_threadpool(score_records, request.app.state.analyzer, records, batch_size)
        # The CLI's JSONL encoding: UTF-8, or \u escapes when an id holds a lone surrogate.
        return Response(json_bytes({"results": results}), media_type="application/json")

    @app.get("/healthz")
    def healthz(request: Request) -> dict:
        """Liveness, and which model answers."""
        return {"status": "ok", "version": __version__, "model": _model_info(request.app.state.analyzer),
                "max_records": max_records, "max_bytes": max_bytes}

    return app


def app_from_env():
    """App factory for uvicorn worker processes (``--workers N``): options from :data:`CONFIG_ENV`."""
    return create_app(**json.loads(os.environ.get(CONFIG_ENV, "{}")))


def run(host: str = "127.0.0.1", port: int = 8000, workers: int = 1, *, model: Optional[str] = None,
        routing: Optional[str] = None, thresholds: Optional[dict] = None, task_models: Optional[dict] = None,
        analyzer=None, max_records: int = DEFAULT_MAX_RECORDS,
        max_bytes: int = DEFAULT_MAX_BYTES, log_level: str = "info") -> None:
    """Serve until interrupted. One worker serves ``analyzer`` (or loads ``model``); N > 1
    workers are separate processes that each load the model once at start-up."""
    require_serve_extra()
    import uvicorn

    if workers <= 1:
        app = create_app(analyzer, model=model, routing=routing, thresholds=thresholds, task_models=task_models,
                         max_records=max_records,
                         max_bytes=max_bytes)
        uvicorn.run(app, host=host, port=port, log_level=log_level)
        return
    os.environ[CONFIG_ENV] = json.dumps({"model": model, "routing": routing, "thresholds": thresholds, "task_models": task_models,
                                         "max_records": max_records, "max_bytes": max_bytes})
    uvicorn.run(f"{__name__}:app_from_env", factory=True, host=host, port=port, workers=workers,
                log_level=log_level)
