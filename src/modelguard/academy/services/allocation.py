"""AllocationService: assigns a trainer to a purchase, once.

The trainer is the least-loaded active trainer with the course's skill. One
allocation per purchase is decided by the unique index on `purchase_id`, and a
trainer's load grows only for the delivery whose insert won, so a duplicate
or concurrent delivery changes nothing.

The service resolves its models by name (`registry.model("User")`, Mongoose's
`mongoose.model('User')`), so it works with whichever compilation of the model
files the process has, and the worker can load it by path.
"""

from __future__ import annotations

from dataclasses import dataclass

from bson import ObjectId
from bson.errors import InvalidId
from mongoengine.errors import NotUniqueError

from modelguard import ModelRegistry, registry


class UnknownCourse(LookupError):
    """The purchase names a course that does not exist."""


class NoTrainerAvailable(LookupError):
    """No active trainer has the course's skill."""


@dataclass(frozen=True)
class AllocationResult:
    purchase_id: str
    trainer_id: str
    created: bool  # False when an earlier delivery already allocated this purchase


class AllocationService:
    def __init__(self, models: ModelRegistry = registry) -> None:
        self.User = models.model("User")
        self.Course = models.model("Course")
        self.Allocation = models.model("Allocation")
        # mongoengine hands out the collection before it creates the indexes; make the
        # unique purchase index exist before the first insert can race past it.
        self.Allocation.ensure_indexes()

    def allocate(
        self, *, purchase_id: str, user_id: str, course_id: str, event_id: str
    ) -> AllocationResult:
        existing = self.Allocation.objects(purchase_id=purchase_id).first()
        if existing is not None:
            return AllocationResult(purchase_id, str(existing.trainer_id), created=False)
        course = self._course(course_id)
        trainer = (
            self.User.objects(role="trainer", active=True, skills=course.skill)
            .order_by("load", "name")
            .first()
        )
        if trainer is None:
            raise NoTrainerAvailable(f"no active trainer teaches {course.skill!r}")
        allocation = self.Allocation(
            purchase_id=purchase_id,
            user_id=user_id,
            course_id=course_id,
            trainer_id=trainer.id,
            event_id=event_id,
        )
        try:
            allocation.save(force_insert=True)
        except NotUniqueError:  # a concurrent delivery of the same purchase won
            winner = self.Allocation.objects.get(purchase_id=purchase_id)
            return AllocationResult(purchase_id, str(winner.trainer_id), created=False)
        self.User.objects(id=trainer.id).update_one(inc__load=1)
        return AllocationResult(purchase_id, str(trainer.id), created=True)

    def _course(self, course_id: str):
        try:
            course = self.Course.objects(id=ObjectId(course_id)).first()
        except InvalidId:
            course = None
        if course is None:
            raise UnknownCourse(f"course {course_id!r} does not exist")
        return course
