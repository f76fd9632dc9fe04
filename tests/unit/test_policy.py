"""The retry policies, built from tenacity's strategies."""

from __future__ import annotations

import pytest
from tenacity import retry_if_exception_type, stop_after_attempt, wait_exponential

from modelguard import OverwriteModelError
from modelguard.config import POLICY_NAMES
from modelguard.messaging.policy import (
    BACKOFF,
    CLASSIFY,
    MAX_ATTEMPTS,
    POLICIES,
    SEED,
    RetryPolicy,
)


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


def test_the_seed_and_classify_policies_retry_at_once():
    assert [SEED.delay_s(n, RuntimeError()) for n in range(1, MAX_ATTEMPTS)] == [0.0] * 4
    assert CLASSIFY.delay_s(1, RuntimeError()) == 0.0


def test_the_backoff_policy_waits_exponentially_between_its_five_attempts():
    assert [BACKOFF.delay_s(n, RuntimeError()) for n in range(1, MAX_ATTEMPTS)] == [1, 2, 4, 8]
    assert BACKOFF.should_retry(4, RuntimeError()) and not BACKOFF.should_retry(5, RuntimeError())


def test_a_policys_wait_is_built_from_tenacitys_parts():
    policy = RetryPolicy(
        "custom", stop_after_attempt(9), SEED.retry, wait_exponential(multiplier=0.5, max=3)
    )
    assert [policy.delay_s(n, KeyError()) for n in range(1, 6)] == [0.5, 1, 2, 3, 3]


def test_every_policy_name_the_command_line_offers_has_a_policy():
    assert tuple(POLICIES) == POLICY_NAMES
