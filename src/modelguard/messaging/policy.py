"""Retry policies: when a failed attempt is tried again and when it is dead-lettered.

A policy is built from tenacity's own strategies, so it reads like a sentence
and each part is tested where tenacity tests it:

    RetryPolicy(stop=stop_after_attempt(5), retry=retry_if_not_exception_type(OverwriteModelError))

`SEED` is the platform's policy, unchanged by the fix: every handler error is
retried until 5 attempts. `CLASSIFY` also dead-letters `OverwriteModelError` at
once, because a deterministic error is not cured by trying again.
"""

from __future__ import annotations

from dataclasses import dataclass

from tenacity import Future as Outcome
from tenacity import RetryCallState, stop_after_attempt
from tenacity.retry import retry_base, retry_if_exception_type, retry_if_not_exception_type
from tenacity.stop import stop_base

from modelguard.registry.errors import OverwriteModelError

MAX_ATTEMPTS = 5


@dataclass(frozen=True)
class RetryPolicy:
    """Whether attempt N of an event, having failed with an error, gets attempt N+1."""

    name: str
    stop: stop_base
    retry: retry_base

    def should_retry(self, attempt: int, error: BaseException) -> bool:
        state = RetryCallState(retry_object=None, fn=None, args=(), kwargs={})  # type: ignore[arg-type]
        state.attempt_number = attempt
        state.outcome = Outcome.construct(attempt, error, has_exception=True)
        return bool(self.retry(state)) and not self.stop(state)


SEED = RetryPolicy("seed", stop_after_attempt(MAX_ATTEMPTS), retry_if_exception_type(Exception))
CLASSIFY = RetryPolicy(
    "classify",
    stop_after_attempt(MAX_ATTEMPTS),
    retry_if_exception_type(Exception) & retry_if_not_exception_type(OverwriteModelError),
)
POLICIES = {policy.name: policy for policy in (SEED, CLASSIFY)}
