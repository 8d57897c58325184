"""Checked conversions from stored or typed values (plain JSON primitives) to typed values.

Shared by the room's options (`options.py`) and its records (`records.py`). Every function
raises ValueError (or TypeError for a wrong type where Python would) on a value that cannot be
ours, so a bad stored field or form value never becomes a crash later. No HA imports.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, datetime, time
import math
from typing import Final

from .quiet_hours import WEEKDAYS, parse_time

# Stored times outside this range cannot be ours, and adding a timeout to them could overflow.
MIN_YEAR: Final = 2000
MAX_YEAR: Final = 9000
# A stored count above this cannot be real (an edge a second for 30 years); it would also reach
# the 64-bit limit of HA's JSON encoder and fail a later save in the background.
MAX_COUNT: Final = 10**9
# Stored durations above a year are not settings anyone made, and adding them to a stored time
# could overflow datetime.
MAX_OPTION_MINUTES: Final = 366 * 24 * 60


def to_utc(value: datetime) -> datetime:
    """Convert an aware datetime to UTC; refuse naive ones."""
    if not isinstance(value, datetime):
        raise TypeError(f"expected a datetime, not {type(value).__name__}")
    if value.tzinfo is None or value.utcoffset() is None:
        raise ValueError("a time zone aware datetime is required")
    return value.astimezone(UTC)


def iso(value: datetime | None) -> str | None:
    """The stored form of an optional datetime."""
    return None if value is None else value.isoformat()


def parse_datetime(value: object) -> datetime:
    """A stored ISO datetime, in UTC, within the years a session can have."""
    if not isinstance(value, str):
        raise ValueError(f"expected an ISO datetime string, not {value!r}")
    parsed = to_utc(datetime.fromisoformat(value))
    if not MIN_YEAR <= parsed.year <= MAX_YEAR:
        raise ValueError(f"datetime out of range: {value!r}")
    return parsed


def parse_optional_datetime(value: object) -> datetime | None:
    """`parse_datetime`, or None."""
    return None if value is None else parse_datetime(value)


def parse_bool(value: object) -> bool:
    """A stored true/false (no truthy strings or numbers)."""
    if not isinstance(value, bool):
        raise ValueError(f"expected true/false, not {value!r}")
    return value


def parse_optional_bool(value: object) -> bool | None:
    """`parse_bool`, or None."""
    return None if value is None else parse_bool(value)


def parse_count(value: object) -> int:
    """A stored whole number 0 to `MAX_COUNT`."""
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= MAX_COUNT:
        raise ValueError(f"expected an integer 0-{MAX_COUNT}, not {value!r}")
    return value


def parse_str(value: object) -> str:
    """A stored string."""
    if not isinstance(value, str):
        raise ValueError(f"expected a string, not {value!r}")
    return value


def parse_optional_str(value: object) -> str | None:
    """`parse_str`, or None."""
    return None if value is None else parse_str(value)


def parse_number(
    key: str, value: object, *, minimum: float, maximum: float = MAX_OPTION_MINUTES
) -> float:
    """Parse a finite number in [minimum, maximum]; numeric strings are accepted (form values)."""
    if isinstance(value, bool):
        raise ValueError(f"{key}: expected a number, not {value!r}")
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            raise ValueError(f"{key}: expected a number, not {value!r}") from None
    if not isinstance(value, (int, float)) or not math.isfinite(value):
        raise ValueError(f"{key}: expected a number, not {value!r}")
    if not minimum <= value <= maximum:
        raise ValueError(f"{key}: expected a number {minimum}-{maximum}, not {value!r}")
    return float(value)


def parse_volume(key: str, value: object) -> int | None:
    """A volume option: a whole number 0-100, or None (leave the speaker's volume alone)."""
    if value is None or value == "":
        return None
    number = parse_number(key, value, minimum=0)
    if number > 100 or number != int(number):
        raise ValueError(f"{key}: expected a whole number 0-100, not {value!r}")
    return int(number)


def parse_optional_volume(value: object) -> int | None:
    """A stored volume: a whole number 0-100, or None."""
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int) or not 0 <= value <= 100:
        raise ValueError(f"expected a volume 0-100, not {value!r}")
    return value


def parse_flag(key: str, value: object, default: bool) -> bool:
    """A boolean option; missing takes `default`."""
    if value is None:
        return default
    if not isinstance(value, bool):
        raise ValueError(f"{key}: expected true/false, not {value!r}")
    return value


def parse_time_value(key: str, value: object) -> time:
    """A time of day option ("HH:MM[:SS]" or a time)."""
    if isinstance(value, time):
        return value
    if not isinstance(value, str):
        raise ValueError(f"{key}: expected a time of day, not {value!r}")
    return parse_time(value)


def parse_days(value: object) -> frozenset[str]:
    """The quiet days option; missing means every day."""
    if value is None:
        return frozenset(WEEKDAYS)
    if isinstance(value, str) or not isinstance(value, Iterable):
        raise ValueError(f"quiet_days: expected a list of weekdays, not {value!r}")
    days = list(value)
    if not all(isinstance(day, str) and day in WEEKDAYS for day in days):
        raise ValueError(f"quiet_days: expected weekdays out of {WEEKDAYS}, not {value!r}")
    return frozenset(days)


# --- values from Spotify and from other integrations' players, checked at the door -----------
# The same limits the loader applies: what we keep from an answer can always be read back.


def position_ms(value: object, *, scale: float = 1) -> int | None:
    """A playback position in ms (`value` times `scale`), or None when it is not a sane number."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    scaled = value * scale
    if not math.isfinite(scaled) or not 0 <= scaled <= MAX_COUNT:
        return None
    return int(scaled)


def volume_percent(value: object, *, scale: float = 1) -> int | None:
    """A volume 0-100 (`value` times `scale`, rounded), or None when it is not one."""
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    scaled = value * scale
    if not math.isfinite(scaled) or not 0 <= scaled <= 100:
        return None
    return round(scaled)
