"""Default collection names: a model's name, lower-cased and pluralised as Mongoose 8 does.

Mongoose names a model's collection with its own small pluraliser (its
`lib/helpers/pluralize.js`): a word on a list of uncountable nouns stays as it is,
otherwise the first rule of an ordered list whose pattern matches the lower-cased
name rewrites it. So `Person` is stored in `people`, `Quiz` in `quizzes`, `Sheep`
in `sheep`, and a name ending in anything but an ASCII letter `a` to `z` (`User1`,
`Item_`, `Café`, `Σοφία`) is only lower-cased. Two names, `system.profile` and
`system.indexes`, are MongoDB's own and are never changed.

The rules and words below are that data, restated as Python regular expressions;
`tests/unit/test_mongoose_oracle.py` compares the result with real Mongoose on
generated names. Where JavaScript and Python regular expressions differ, the
Python form is written to match as JavaScript does: `\\Z` for JavaScript's `$`
(Python's `$` also matches before a final newline), no IGNORECASE flag (the word
is lower-cased first, and Python's IGNORECASE would let `ſ` or `K` match ASCII
letters where JavaScript's does not), and `re.sub` replacing every match, as
JavaScript's `g` flag does. Mongoose's rule for `matrix`, `vertex` and `index`
lacks parentheses around its alternatives, so it is kept that way: it rewrites a
`matrix`, `vertix` or `indix` anywhere in the word (a word ending in `ex` or `ix`
never reaches it, an earlier rule takes it first).
"""

from __future__ import annotations

import re

# (pattern, replacement), first match wins; Mongoose's order.
_RULES: tuple[tuple[re.Pattern[str], str], ...] = tuple(
    (re.compile(pattern), replacement)
    for pattern, replacement in (
        (r"human\Z", "humans"),
        (r"(m)an\Z", r"\g<1>en"),
        (r"(pe)rson\Z", r"\g<1>ople"),
        (r"(child)\Z", r"\g<1>ren"),
        (r"^(ox)\Z", r"\g<1>en"),
        (r"(ax|test)is\Z", r"\g<1>es"),
        (r"(octop|vir)us\Z", r"\g<1>i"),
        (r"(alias|status)\Z", r"\g<1>es"),
        (r"(bu)s\Z", r"\g<1>ses"),
        (r"(buffal|tomat|potat)o\Z", r"\g<1>oes"),
        (r"([ti])um\Z", r"\g<1>a"),
        (r"sis\Z", "ses"),
        (r"(?:([^f])fe|([lr])f)\Z", r"\g<1>\g<2>ves"),
        (r"(hive)\Z", r"\g<1>s"),
        (r"([^aeiouy]|qu)y\Z", r"\g<1>ies"),
        (r"(x|ch|ss|sh)\Z", r"\g<1>es"),
        (r"(matr|vert|ind)ix|ex\Z", r"\g<1>ices"),
        (r"([m|l])ouse\Z", r"\g<1>ice"),
        (r"(kn|w|l)ife\Z", r"\g<1>ives"),
        (r"(quiz)\Z", r"\g<1>zes"),
        (r"^goose\Z", "geese"),
        (r"s\Z", "s"),
        (r"([^a-z])\Z", r"\g<1>"),
        (r"\Z", "s"),
    )
)

UNCOUNTABLE = frozenset(
    (
        "advice energy excretion digestion cooperation health justice labour machinery "
        "equipment information pollution sewage paper money species series rain rice fish "
        "sheep moose deer news expertise status media"
    ).split()
)

# MongoDB's system collections keep their names (checked before lower-casing).
_SYSTEM = frozenset(("system.profile", "system.indexes"))


def pluralize(word: str) -> str:
    """Mongoose's plural of `word`: lower-cased, then the first matching rule applied."""
    word = word.lower()
    if word in UNCOUNTABLE:
        return word
    for pattern, replacement in _RULES:
        if pattern.search(word):
            return pattern.sub(replacement, word)
    return word  # pragma: no cover - the last rule matches every string


def default_collection(name: str) -> str:
    """The collection Mongoose stores model `name` in when neither the call nor the
    schema names one; Mongoose's TypeError, in its words, for a non-string or empty name."""
    if name in _SYSTEM:
        return name
    if not isinstance(name, str):
        raise TypeError("Collection name must be a string")
    if not name:
        raise TypeError("Collection name cannot be empty")
    return pluralize(name)
