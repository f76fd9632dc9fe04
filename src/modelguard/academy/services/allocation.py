"""AllocationService: assigns a trainer to a purchase, once.

The trainer is the least-loaded active trainer with the course's skill. One
allocation per purchase is decided by the unique index on `purchase_id`, and a
trainer's load grows only for the delivery whose insert won, so a duplicate
or concurrent delivery changes nothing.

A new purchase costs four round trips to the database: the course, the trainer,
the insert, the load. There is no "is it allocated already?" query first: the
insert's unique index answers that for every delivery anyway, and is the only
answer that holds under concurrency. A purchase that cannot be allocated now (its
course gone, no trainer) is still answered with its allocation if it has one, so
a late duplicate never fails where it used to succeed.

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
from modelguard.messaging.failure import PayloadFault


class UnknownCourse(PayloadFault, LookupError):
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
        try:
            course = self._course(course_id)
            trainer = (
                self.User.objects(role="trainer", active=True, skills=course.skill)
                .only("id")
                .order_by("load", "name")
                .first()
            )
            if trainer is None:
                raise NoTrainerAvailable(f"no active trainer teaches {course.skill!r}")
        except LookupError:
            existing = self._existing(purchase_id)
            if existing is not None:  # allocated earlier, before its course or trainer went
                return existing
            raise
        allocation = self.Allocation(
            purchase_id=purchase_id,
            user_id=user_id,
            course_id=course_id,
            trainer_id=trainer.id,
            event_id=event_id,
        )
        try:
            allocation.save(force_insert=True)
        except NotUniqueError:  # an earlier or concurrent delivery of the purchase won
            winner = self._existing(purchase_id)
            if winner is None:  # the unique index refused it, so the winner exists
                raise
            return winner
        self.User.objects(id=trainer.id).update_one(inc__load=1)
        return AllocationResult(purchase_id, str(trainer.id), created=True)

    def _existing(self, purchase_id: str) -> AllocationResult | None:
        found = self.Allocation.objects(purchase_id=purchase_id).only("trainer_id").first()
        if found is None:
            return None
        return AllocationResult(purchase_id, str(found.trainer_id), created=False)

    def _course(self, course_id: str):
        try:
            course = self.Course.objects(id=ObjectId(course_id)).only("skill").first()
        except InvalidId:
            course = None
        if course is None:
            raise UnknownCourse(f"course {course_id!r} does not exist")
        return course
