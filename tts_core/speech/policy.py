"""Who speaks when: speech-dispatcher's SSIP priority rules as one pure function.

- important (permission prompts): never cut, never dropped, goes ahead of everything queued.
- message (answers, errors, ``say``): queues; cancels notifications.
- notification (cues: a Notification other than a permission prompt, when the user asked for
  it): dropped when anything else is speaking or waiting.

SSIP's fourth class, *text* (keep only the newest), is left out on purpose: everything Claude
says, streamed or not, is a message that must be heard once, never superseded.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import IntEnum


class Priority(IntEnum):
    """Speech priorities after speech-dispatcher's SSIP (lower value = more urgent)."""

    IMPORTANT = 0
    """Never cut, goes first (permission prompts)."""
    MESSAGE = 1
    """Queues (answers, errors, ``say``)."""
    NOTIFICATION = 2
    """Cues (idle prompts and other notifications the user turned on): dropped when busy."""


@dataclass(frozen=True)
class Admission:
    """What :func:`admit` decided for one new utterance."""

    admit: bool
    """Queue the new speech (False: drop it)."""
    cut_current: bool = False
    """Stop what is speaking now."""
    drop_queued: tuple[int, ...] = ()
    """Indexes (into the queue as given) of queued speech to drop."""


def admit(new: Priority, current: Priority | None, queued: Sequence[Priority]) -> Admission:
    """Decide what happens when speech of priority ``new`` arrives.

    Args:
        new: the arriving speech's priority.
        current: the priority of what is speaking now, or None.
        queued: the priorities waiting, in queue order.
    """
    notifications = tuple(i for i, p in enumerate(queued) if p == Priority.NOTIFICATION)
    cut_notification = current == Priority.NOTIFICATION
    if new == Priority.NOTIFICATION:
        return Admission(admit=current is None and not queued)
    # message and important
    return Admission(True, cut_notification, notifications)
