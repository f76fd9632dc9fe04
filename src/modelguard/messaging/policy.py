"""Retry policies: when a failed attempt is tried again and when it is dead-lettered.

A policy is built from tenacity's own strategies, so it reads like a sentence
and each part is tested where tenacity tests it:

    RetryPolicy(stop=stop_after_attempt(5), retry=retry_if_not_exception_type(OverwriteModelError))

A policy may also wait between attempts, with tenacity's wait strategies
(`wait_exponential(multiplier=1, max=10)`): the retry record then carries the time
it is due, and the consumer holds it back until then without sleeping.

`SEED` is the platform's policy, unchanged by the fix: every handler error is
retried at once until 5 attempts. `CLASSIFY` also dead-letters `OverwriteModelError`
at once, because a deterministic error is not cured by trying again. `BACKOFF` is the
seed's policy with exponential waits (1, 2, 4 and 8 seconds before attempts 2 to 5),
for errors that time can cure, such as a database that is briefly away.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from tenacity import Future as Outcome
from tenacity import RetryCallState, stop_after_attempt
from tenacity.retry import retry_base, retry_if_exception_type, retry_if_not_exception_type
from tenacity.stop import stop_base
from tenacity.wait import wait_base, wait_exponential, wait_none

from modelguard.registry.errors import OverwriteModelError

MAX_ATTEMPTS = 5


@dataclass(frozen=True)
class RetryPolicy:
    """Whether attempt N of an event, having failed with an error, gets attempt N+1,
    and how long attempt N+1 waits."""

    name: str
    stop: stop_base
    retry: retry_base
    wait: wait_base = field(default_factory=wait_none)  # built per policy, as RUF009 asks
    about: str = ""  # what the policy does, in words, for the tables that name it

    def should_retry(self, attempt: int, error: BaseException) -> bool:
        state = _failed(attempt, error)
        return bool(self.retry(state)) and not self.stop(state)

    def delay_s(self, attempt: int, error: BaseException) -> float:
        """Seconds from the failure of attempt N until attempt N+1 is due."""
        return float(self.wait(_failed(attempt, error)))


def _failed(attempt: int, error: BaseException) -> RetryCallState:
    """tenacity's state after attempt ``attempt`` raised ``error``."""
    state = RetryCallState(retry_object=None, fn=None, args=(), kwargs={})  # type: ignore[arg-type]
    state.attempt_number = attempt
    state.outcome = Outcome.construct(attempt, error, has_exception=True)
    return state


SEED = RetryPolicy(
    "seed",
    stop_after_attempt(MAX_ATTEMPTS),
    retry_if_exception_type(Exception),
    about=f"the platform's own: any error is retried at once, {MAX_ATTEMPTS} attempts at most",
)
CLASSIFY = RetryPolicy(
    "classify",
    stop_after_attempt(MAX_ATTEMPTS),
    retry_if_exception_type(Exception) & retry_if_not_exception_type(OverwriteModelError),
    about="as seed, but OverwriteModelError goes to the DLQ at once",
)
BACKOFF = RetryPolicy(
    "backoff",
    stop_after_attempt(MAX_ATTEMPTS),
    retry_if_exception_type(Exception),
    wait_exponential(multiplier=1, max=10),
    about="as seed, waiting 1, 2, 4 and 8 s before attempts 2 to 5",
)
POLICIES = {policy.name: policy for policy in (SEED, CLASSIFY, BACKOFF)}
