"""Notes that count rows, so the notes of a file's batches (or of several files) add up.

Why: "3 tickets not averaged" said by each of 40 batches must become one note with their sum,
while a note that only states a rule ("rule one-touch: …") is said once. A ``Counted`` note is a
``str`` (every renderer takes it as text) that remembers its wording and its count. A leaf: no
imports.
"""

from __future__ import annotations


class Counted(str):
    """``Counted("{n} open {tickets} not in the denominator", 3, tickets=("ticket", "tickets"))``:
    the text with ``n`` and each plural word filled in. The template is our own wording, never data."""

    def __new__(cls, template: str, n: int, **plurals: tuple[str, str]):
        n = int(n)
        words = {k: (one if n == 1 else many) for k, (one, many) in plurals.items()}
        self = super().__new__(cls, template.format(n=n, **words))
        self.template, self.n, self.plurals = template, n, plurals
        return self

    def __reduce__(self):  # pickled with its count (a Dask worker's notes)
        return (_counted, (self.template, self.n, self.plurals))

    def plus(self, other: "Counted") -> "Counted":
        return Counted(self.template, self.n + other.n, **self.plurals)


def _counted(template: str, n: int, plurals: dict) -> Counted:
    return Counted(template, n, **plurals)


def merge_notes(notes: list[str], more: list[str]) -> list[str]:
    """``notes`` and the notes of one more batch: a counted note adds to the one of the same wording,
    any other note is said once. A note new to ``notes`` goes before the first of the notes said
    after it in ``more``, so the batches of a file give the notes in the order one read says them."""
    out = list(notes)

    def find(note: str) -> int | None:
        for i, have in enumerate(out):
            if (isinstance(note, Counted) and isinstance(have, Counted) and have.template == note.template) or \
                    (not isinstance(note, Counted) and have == note):
                return i
        return None

    for j, note in enumerate(more):
        i = find(note)
        if i is not None:
            if isinstance(note, Counted):
                out[i] = out[i].plus(note)
            continue
        later = [k for k in (find(n) for n in more[j + 1:]) if k is not None]
        out.insert(min(later) if later else len(out), note)
    return out
