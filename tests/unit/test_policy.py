"""The retry policies, built from tenacity's strategies."""

from __future__ import annotations

import pytest
from tenacity import retry_if_exception_type, stop_after_attempt

from modelguard import OverwriteModelError
from modelguard.messaging.policy import CLASSIFY, MAX_ATTEMPTS, SEED, RetryPolicy


@pytest.mark.parametrize("attempt", range(1, MAX_ATTEMPTS))
def test_the_seed_policy_retries_any_error_before_the_fifth_attempt(attempt):
    assert SEED.should_retry(attempt, RuntimeError("transient"))
    assert SEED.should_retry(attempt, OverwriteModelError("User"))


def test_the_seed_policy_stops_at_five_attempts():
    assert MAX_ATTEMPTS == 5
    assert not SEED.should_retry(5, RuntimeError("transient"))


def test_classify_dead_letters_overwrite_model_error_at_once_but_retries_the_rest():
    assert not CLASSIFY.should_retry(1, OverwriteModelError("User"))
    assert CLASSIFY.should_retry(1, RuntimeError("transient"))
    assert not CLASSIFY.should_retry(5, RuntimeError("transient"))


@pytest.mark.parametrize("limit", [1, 3, 7])
def test_a_policy_reads_like_its_parts(limit):
    policy = RetryPolicy("custom", stop_after_attempt(limit), retry_if_exception_type(KeyError))
    assert [policy.should_retry(n, KeyError()) for n in range(1, limit + 1)] == [True] * (
        limit - 1
    ) + [False]
    assert not policy.should_retry(1, ValueError())
