# expect: MG001@8 MG003@12
"""A star import still brings in the registry's names and mongoengine's classes."""

from mongoengine import *
from modelguard import *

UserSchema = Schema({})
User = model("User", UserSchema)


def handler(event):
    class Allocation(Document):
        pass

    return Allocation
