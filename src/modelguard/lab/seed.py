"""Demo data for the scenarios: trainers with skills, courses, and purchases of them."""

from __future__ import annotations

import itertools

from modelguard.messaging.events import PurchaseCreated

SKILLS = ("python", "data", "web")
TRAINERS = (
    ("Ada", ("python", "data")),
    ("Grace", ("python", "web")),
    ("Linus", ("web",)),
    ("Margaret", ("data", "python")),
    ("Guido", ("python",)),
    ("Tim", ("web", "data")),
)


def seed_academy() -> list[str]:
    """Create the trainers and one course per skill; returns the course ids."""
    from modelguard.academy.models import Course, User

    for name, skills in TRAINERS:
        User(
            name=name, email=f"{name.lower()}@academy.test", role="trainer", skills=list(skills)
        ).save()
    return [
        str(Course(title=f"{skill.title()} from scratch", skill=skill, price_cents=4900).save().id)
        for skill in SKILLS
    ]


def purchases(count: int, course_ids: list[str], prefix: str) -> list[PurchaseCreated]:
    courses = itertools.cycle(course_ids)
    return [
        PurchaseCreated(
            event_id=f"{prefix}-evt-{i:05d}",
            purchase_id=f"{prefix}-pur-{i:05d}",
            user_id=f"student-{i:05d}",
            course_id=next(courses),
        )
        for i in range(1, count + 1)
    ]
