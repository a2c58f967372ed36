"""The two Label Studio API calls the review loop needs: import tasks into a project, export it.

Standard library only (no SDK: its pinned httpx / pydantic versions would constrain the users'
environments). Authentication as Label Studio documents it: a legacy token is sent as
``Authorization: Token <token>``; a personal access token (a JWT) is first exchanged for a
short-lived access token at ``/api/token/refresh`` and sent as ``Bearer``. Every failure is a
:class:`LabelStudioError` that names the URL and what the server said.
"""
from __future__ import annotations

import json
import urllib.error
import urllib.parse
import urllib.request
from typing import Any, Iterable, Iterator, Optional, Sequence

#: Tasks sent per import request (Label Studio accepts up to 250k tasks / 200 MB in one).
IMPORT_BATCH = 1000


class LabelStudioError(RuntimeError):
    """A Label Studio request that failed: unreachable, refused, or not the answer expected."""


def _is_jwt(token: str) -> bool:
    parts = token.split(".")
    return len(parts) == 3 and token.startswith("eyJ") and all(parts)


class LabelStudioClient:
    """``import_tasks`` / ``export_tasks`` on one Label Studio server.

    Parameters
    ----------
    url : str
        The server, e.g. ``http://localhost:8080`` (no ``/api``).
    token : str
        A legacy API token or a personal access token (Account & Settings in Label Studio).
    timeout : float
        Seconds per request.
    """

    def __init__(self, url: str, token: str, timeout: float = 120.0):
        if not url or not urllib.parse.urlsplit(url).scheme.startswith("http"):
            raise LabelStudioError(f"Label Studio URL must start with http:// or https://, got {url!r}")
        if not token:
            raise LabelStudioError("no Label Studio API token (Account & Settings > Access Token)")
        self.url = url.rstrip("/")
        self.timeout = timeout
        self._token = token
        self._auth: Optional[str] = None

    # -- requests ----------------------------------------------------------------------------
    def _request(self, method: str, path: str, body: Any = None, auth: bool = True) -> Any:
        data = None if body is None else json.dumps(body, ensure_ascii=False).encode("utf-8")
        req = urllib.request.Request(self.url + path, data=data, method=method)
        req.add_header("Accept", "application/json")
        if data is not None:
            req.add_header("Content-Type", "application/json")
        if auth:
            req.add_header("Authorization", self._authorization())
        try:
            with urllib.request.urlopen(req, timeout=self.timeout) as resp:
                raw = resp.read()
        except urllib.error.HTTPError as e:
            detail = e.read().decode("utf-8", "replace")[:300].strip()
            hint = " (check the token)" if e.code in (401, 403) else " (check the project id)" if e.code == 404 else ""
            raise LabelStudioError(f"{method} {self.url}{path}: HTTP {e.code}{hint}: {detail}") from None
        except (urllib.error.URLError, OSError) as e:
            reason = getattr(e, "reason", e)
            raise LabelStudioError(f"cannot reach Label Studio at {self.url}: {reason}") from None
        try:
            return json.loads(raw.decode("utf-8-sig")) if raw.strip() else None
        except (UnicodeDecodeError, json.JSONDecodeError):
            raise LabelStudioError(f"{method} {self.url}{path}: the answer is not JSON: {raw[:200]!r}") from None

    def _authorization(self) -> str:
        if self._auth is None:
            if _is_jwt(self._token):  # a personal access token: exchange it for an access token
                answer = self._request("POST", "/api/token/refresh", {"refresh": self._token}, auth=False)
                if not isinstance(answer, dict) or not answer.get("access"):
                    raise LabelStudioError(f"{self.url}/api/token/refresh gave no access token: {answer!r}")
                self._auth = f"Bearer {answer['access']}"
            else:
                self._auth = f"Token {self._token}"
        return self._auth

    # -- the review loop's calls ----------------------------------------------------------------
    def import_tasks(self, project: int, tasks: Iterable[dict], batch_size: int = IMPORT_BATCH) -> int:
        """POST ``tasks`` to the project in batches of ``batch_size``; the number of tasks sent.

        Label Studio checks each task against the project's labelling config (``data`` must hold
        every variable it names) and refuses the batch otherwise: the error says which."""
        if batch_size < 1:
            raise ValueError("batch_size must be at least 1")
        sent = 0
        for batch in _batches(tasks, batch_size):
            answer = self._request("POST", f"/api/projects/{int(project)}/import", batch)
            if isinstance(answer, dict) and "task_count" in answer and answer["task_count"] != len(batch):
                raise LabelStudioError(f"project {project} imported {answer['task_count']} of the {len(batch)} "
                                       f"tasks sent after {sent}: {answer}")
            sent += len(batch)
        return sent

    def export_tasks(self, project: int) -> list[dict]:
        """Every task of the project with its annotations (the ``JSON`` export format)."""
        answer = self._request("GET", f"/api/projects/{int(project)}/export?exportType=JSON&download_all_tasks=true")
        if not isinstance(answer, list):
            raise LabelStudioError(f"project {project}: the export is not a list of tasks: {str(answer)[:200]}")
        return answer


def _batches(items: Iterable[dict], size: int) -> Iterator[Sequence[dict]]:
    batch: list[dict] = []
    for item in items:
        batch.append(item)
        if len(batch) == size:
            yield batch
            batch = []
    if batch:
        yield batch
