"""TRL reward functions: a saved causalpref model, or a running `causalpref serve`, as an entry
of `reward_funcs` in TRL's GRPOTrainer and RLOOTrainer.

TRL calls `f(prompts, completions, completion_ids=..., **columns)` with the dataset's other
columns (and trainer state) as keyword arguments and expects one float per completion.
Conversational samples are rendered exactly as the `chat` input layout renders a conversational
preference pair, so the policy is scored on the text the reward model was trained on.
"""

from __future__ import annotations

import json
import os
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

from causalpref._json import dumps
from causalpref.data.chat import exchange_text
from causalpref.data.schema import CONTEXT, USER_ID
from causalpref.errors import ConfigError, RewardServerError
from causalpref.methods import RewardModel, load_model

DEFAULT_BATCH_SIZE = 256
RETRY_STATUSES = frozenset({429, 502, 503, 504})
BACKOFF_S = 0.5


# -- the text TRL's samples stand for ----------------------------------------------------------
def _texts(prompts: Sequence[Any], completions: Sequence[Any]) -> tuple[list[str], list[str]]:
    """The prompt texts and response texts of TRL's samples, checked to pair up."""
    if len(prompts) != len(completions):
        raise ConfigError(
            f"got {len(prompts)} prompts for {len(completions)} completions; TRL passes one "
            "prompt per completion"
        )
    pairs = [exchange_text(p, c) for p, c in zip(prompts, completions, strict=True)]
    return [p for p, _ in pairs], [r for _, r in pairs]


def _column(columns: Mapping[str, Any], name: str | None, n: int) -> list[Any] | None:
    """Dataset column `name` as TRL passed it (one value per completion), or None if absent."""
    if name is None or columns.get(name) is None:
        return None
    values = list(columns[name])
    if len(values) != n:
        raise ConfigError(f"column '{name}' has {len(values)} values for {n} completions")
    return values


def _chunks(n: int, size: int) -> list[slice]:
    """Consecutive slices of at most `size` covering range(n)."""
    return [slice(start, min(start + size, n)) for start in range(0, n, size)]


def _check_batch_size(batch_size: int) -> int:
    if not isinstance(batch_size, int) or isinstance(batch_size, bool) or batch_size < 1:
        raise ConfigError(f"batch_size={batch_size!r}: expected a positive integer")
    return batch_size


# -- a saved model, in-process ----------------------------------------------------------------
class RewardFunction:
    """A fitted model as a TRL reward function; `__name__` is what TRL logs it under."""

    def __init__(
        self,
        model: RewardModel,
        *,
        normalize: bool = False,
        batch_size: int = DEFAULT_BATCH_SIZE,
        context_column: str | None = None,
        user_column: str = USER_ID,
        name: str | None = None,
    ):
        self.model = model
        self.batch_size = _check_batch_size(batch_size)
        self.context_column = (context_column or model.context) if model.uses_context else None
        self.user_column = user_column
        self.normalization = model.reward_normalization() if normalize else None
        self.__name__ = name or f"causalpref_{model.name}"

    def __call__(
        self,
        prompts: Sequence[Any],
        completions: Sequence[Any],
        completion_ids: Sequence[Any] | None = None,
        **columns: Any,
    ) -> list[float]:
        """One reward per completion, from the model's rewards on the rendered texts."""
        prompt_texts, responses = _texts(prompts, completions)
        n = len(responses)
        context = self._context(columns, n)
        users = _column(columns, self.user_column, n)
        parts = [
            self.model.rewards(
                prompts=prompt_texts[s],
                responses=responses[s],
                context=None if context is None else context[s],
                user_id=None if users is None else users[s],
            )
            for s in _chunks(n, self.batch_size)
        ]
        rewards = np.concatenate(parts) if parts else np.zeros(0)
        if self.normalization is not None:
            mean, sd = self.normalization
            rewards = (rewards - mean) / sd
        return [float(r) for r in rewards]

    def _context(self, columns: Mapping[str, Any], n: int) -> list[Any] | None:
        if self.context_column is None:
            return None
        values = _column(columns, self.context_column, n)
        if values is None:
            passed = sorted(k for k, v in columns.items() if isinstance(v, list | tuple))
            raise ConfigError(
                f"reward function '{self.__name__}': method '{self.model.name}' conditions on a "
                f"context read from the dataset column '{self.context_column}', but TRL passed "
                f"no such column (dataset columns it passed: {passed}); add a "
                f"'{self.context_column}' column to the training dataset, or set "
                "context_column=... to the column that holds the context"
            )
        return values


def reward_function(
    model: str | os.PathLike | RewardModel,
    *,
    normalize: bool = False,
    batch_size: int = DEFAULT_BATCH_SIZE,
    context_column: str | None = None,
    user_column: str = USER_ID,
    name: str | None = None,
) -> RewardFunction:
    """A saved model (its folder, or a fitted model) as a reward function for TRL's
    GRPOTrainer / RLOOTrainer: `reward_funcs=[reward_function("runs/model")]`.

    normalize: standardise rewards with the training rewards' mean and sd recorded at fit.
    batch_size: responses scored per forward pass.
    context_column: the dataset column holding the context of context-aware models (default:
    the column the model was trained with). user_column: the dataset column holding user ids.
    name: what TRL logs the rewards under (default `causalpref_<method>`).
    """
    loaded = model if isinstance(model, RewardModel) else load_model(model)
    return RewardFunction(
        loaded,
        normalize=normalize,
        batch_size=batch_size,
        context_column=context_column,
        user_column=user_column,
        name=name,
    )


# -- a running `causalpref serve` ------------------------------------------------------------
class RemoteRewardFunction:
    """A TRL reward function that asks a running `causalpref serve` (its `/rewards` route)."""

    def __init__(
        self,
        url: str,
        *,
        token: str | None = None,
        timeout: float = 30.0,
        retries: int = 3,
        batch_size: int = DEFAULT_BATCH_SIZE,
        context_column: str = CONTEXT,
        user_column: str = USER_ID,
        name: str = "causalpref_remote",
    ):
        if not isinstance(retries, int) or retries < 0:
            raise ConfigError(f"retries={retries!r}: expected an integer >= 0")
        self.url = _rewards_url(url)
        self.token = token
        self.timeout = timeout
        self.retries = retries
        self.batch_size = _check_batch_size(batch_size)
        self.context_column = context_column
        self.user_column = user_column
        self.__name__ = name

    def __call__(
        self,
        prompts: Sequence[Any],
        completions: Sequence[Any],
        completion_ids: Sequence[Any] | None = None,
        **columns: Any,
    ) -> list[float]:
        """One reward per completion, as the server scores the rendered texts."""
        prompt_texts, responses = _texts(prompts, completions)
        n = len(responses)
        extras = {
            CONTEXT: _column(columns, self.context_column, n),
            USER_ID: _column(columns, self.user_column, n),
        }
        items = [
            {"prompt": p, "response": r}
            | {k: v[i] for k, v in extras.items() if v is not None and v[i] is not None}
            for i, (p, r) in enumerate(zip(prompt_texts, responses, strict=True))
        ]
        rewards: list[float] = []
        for s in _chunks(n, self.batch_size):
            rewards += self._post(items[s])
        return rewards

    def _post(self, items: list[dict[str, Any]]) -> list[float]:
        """The server's rewards for `items`, retrying connection failures and busy answers."""
        body = dumps({"items": items}).encode("utf-8")
        problem = ""
        for attempt in range(self.retries + 1):
            if attempt:
                time.sleep(BACKOFF_S * 2 ** (attempt - 1))
            try:
                with urllib.request.urlopen(self._request(body), timeout=self.timeout) as answer:
                    return _rewards_of(answer.read(), len(items), self.url)
            except urllib.error.HTTPError as error:
                if error.code not in RETRY_STATUSES and error.code < 500:
                    raise _refusal(error, self.url) from None
                problem = f"HTTP {error.code}: {_server_message(error)}"
            except (urllib.error.URLError, TimeoutError, ConnectionError) as error:
                problem = str(getattr(error, "reason", error))
        raise RewardServerError(
            f"the reward server at {self.url} failed {self.retries + 1} time(s), last with "
            f"{problem}; check that `causalpref serve` is running there, or raise timeout="
        )

    def _request(self, body: bytes) -> urllib.request.Request:
        headers = {"Content-Type": "application/json"}
        if self.token is not None:
            headers["Authorization"] = f"Bearer {self.token}"
        return urllib.request.Request(self.url, data=body, headers=headers, method="POST")


def remote_reward_function(
    url: str,
    *,
    token: str | None = None,
    timeout: float = 30.0,
    retries: int = 3,
    batch_size: int = DEFAULT_BATCH_SIZE,
    context_column: str = CONTEXT,
    user_column: str = USER_ID,
    name: str = "causalpref_remote",
) -> RemoteRewardFunction:
    """A reward function for TRL that POSTs to a running `causalpref serve` at `url` (its base
    address, e.g. http://127.0.0.1:5000, or its /rewards route).

    token: sent as `Authorization: Bearer <token>` (the contents of the server's --token-file).
    timeout: seconds per request; retries: further attempts after a connection failure or a
    5xx/429 answer, with exponential backoff. batch_size: items per request (keep it within
    the server's --max-batch). context_column / user_column: dataset columns sent as each
    item's context / user_id when present. Normalisation is the server's (--normalize).
    """
    return RemoteRewardFunction(
        url,
        token=token,
        timeout=timeout,
        retries=retries,
        batch_size=batch_size,
        context_column=context_column,
        user_column=user_column,
        name=name,
    )


def _rewards_url(url: str) -> str:
    if not isinstance(url, str) or not url.startswith(("http://", "https://")):
        raise ConfigError(f"url={url!r}: expected an http(s) address such as http://127.0.0.1:5000")
    url = url.rstrip("/")
    return url if url.endswith("/rewards") else f"{url}/rewards"


def _rewards_of(body: bytes, n: int, url: str) -> list[float]:
    """The `rewards` list of a server answer, checked to hold one number per item."""
    try:
        rewards = json.loads(body)["rewards"]
        values = [float("nan") if r is None else float(r) for r in rewards]
    except (ValueError, KeyError, TypeError) as error:
        raise RewardServerError(
            f"the reward server at {url} answered without a list of numbers under 'rewards' "
            f"({error}); is it a `causalpref serve`?"
        ) from None
    if len(values) != n:
        raise RewardServerError(f"the reward server at {url} sent {len(values)} rewards for {n}")
    return values


def _refusal(error: urllib.error.HTTPError, url: str) -> ConfigError:
    """The client mistake a 4xx answer reports, with the server's own message."""
    message = _server_message(error)
    hint = {
        401: "pass token= with the contents of the server's --token-file",
        413: "lower batch_size= below the server's --max-batch, or shorten the texts",
    }.get(error.code, "")
    return ConfigError(
        f"the reward server at {url} refused the request (HTTP {error.code}): {message}"
        + (f"; {hint}" if hint else "")
    )


def _server_message(error: urllib.error.HTTPError) -> str:
    """The `error` / `detail` of a JSON error body, else the body's first 300 characters."""
    try:
        raw = error.read().decode("utf-8", "replace")
    except OSError:
        return error.reason or ""
    try:
        body = json.loads(raw)
    except ValueError:
        return raw[:300]
    if isinstance(body, dict):
        for key in ("error", "detail", "message"):
            if key in body:
                return str(body[key])
    return raw[:300]
