"""AllocationService: the least-loaded trainer, once per purchase, whatever arrives twice."""

from __future__ import annotations

import importlib

import pytest

from modelguard.lab.seed import seed_academy


@pytest.fixture
def academy(mongo):
    """The platform's models on a clean database, the academy seeded, and the service."""
    importlib.import_module("modelguard.academy.models")  # noqa: MG002 -- registers the models
    services = importlib.import_module("modelguard.academy.services.allocation")  # noqa: MG002
    models = importlib.import_module("modelguard.academy.models")  # noqa: MG002
    courses = seed_academy()
    return services, models, courses, services.AllocationService()


def loads(models) -> dict[str, int]:
    return {u.name: u.load for u in models.User.objects(role="trainer")}


def test_a_purchase_goes_to_the_least_loaded_trainer_once(academy):
    _, models, courses, service = academy
    python = courses[0]
    first = service.allocate(purchase_id="p1", user_id="u", course_id=python, event_id="e1")
    again = service.allocate(purchase_id="p1", user_id="u", course_id=python, event_id="e2")
    second = service.allocate(purchase_id="p2", user_id="u", course_id=python, event_id="e3")

    assert first.created and not again.created and second.created
    assert again.trainer_id == first.trainer_id != second.trainer_id
    assert sum(loads(models).values()) == 2
    assert models.Allocation.objects.count() == 2
    # Ties on load go by name: Ada, then Grace, are the first python trainers.
    names = {str(u.id): u.name for u in models.User.objects}
    assert [names[first.trainer_id], names[second.trainer_id]] == ["Ada", "Grace"]


def test_a_duplicate_is_answered_with_its_allocation_after_its_course_is_gone(academy):
    _, models, courses, service = academy
    first = service.allocate(purchase_id="p1", user_id="u", course_id=courses[0], event_id="e1")
    models.Course.objects.delete()

    again = service.allocate(purchase_id="p1", user_id="u", course_id=courses[0], event_id="e2")

    assert not again.created and again.trainer_id == first.trainer_id
    assert sum(loads(models).values()) == 1


def test_a_duplicate_is_answered_with_its_allocation_when_no_trainer_is_left(academy):
    _, models, courses, service = academy
    first = service.allocate(purchase_id="p1", user_id="u", course_id=courses[0], event_id="e1")
    models.User.objects(role="trainer").update(active=False)

    again = service.allocate(purchase_id="p1", user_id="u", course_id=courses[0], event_id="e2")

    assert not again.created and again.trainer_id == first.trainer_id


def test_a_new_purchase_of_an_unknown_course_or_with_no_trainer_fails(academy):
    services, models, courses, service = academy
    with pytest.raises(services.UnknownCourse):
        service.allocate(purchase_id="p1", user_id="u", course_id="not-an-id", event_id="e1")
    with pytest.raises(services.UnknownCourse):
        service.allocate(purchase_id="p1", user_id="u", course_id="0" * 24, event_id="e1")
    models.User.objects(role="trainer").update(active=False)
    with pytest.raises(services.NoTrainerAvailable):
        service.allocate(purchase_id="p1", user_id="u", course_id=courses[0], event_id="e1")
    assert models.Allocation.objects.count() == 0
    assert sum(loads(models).values()) == 0
