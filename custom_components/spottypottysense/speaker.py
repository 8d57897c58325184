"""What a room plays on: one speaker interface, whatever the backend (no HA, no spotipy).

The controller talks to a room's speaker only through `Speaker`. Two backends implement it:
`speaker_spotify.SpotifyConnectSpeaker` (a Spotify Connect device, through the Web API) and
`speaker_media_player.MediaPlayerSpeaker` (any Home Assistant ``media_player`` entity).
`speaker_factory.create_speaker` picks one from the room's options.

A start either plays the room's source itself (``owned``) or finds the speaker/account busy and
only watches (``observed``). An end pauses only what is still ours; what played at that moment is
returned so a later session can resume it and a fade can restore the volume.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from enum import StrEnum
from typing import ClassVar, Protocol

from .decisions import StartPlayback
from .records import Session, SessionRecord, is_still_ours


class SpeakerKind(StrEnum):
    """The two kinds of speaker a room can target (the form's choice)."""

    SPOTIFY = "spotify"
    MEDIA_PLAYER = "media_player"


@dataclass(frozen=True, slots=True)
class ResumePoint:
    """Where to pick up: the item inside the context (or alone), and the position in it."""

    context_uri: str | None
    item_uri: str | None
    position_ms: int = 0


@dataclass(frozen=True, slots=True)
class PlayRequest:
    """What to start: the engine's StartPlayback, plus an optional place to resume at."""

    source: str | None  # a Spotify URI; None resumes whatever the speaker had
    volume: int | None  # 0-100; None leaves the volume alone
    shuffle: bool
    check_idle: bool  # only_when_idle: observe instead of taking over a busy account/speaker
    resume: ResumePoint | None = None

    @classmethod
    def from_decision(
        cls, decision: StartPlayback, resume: ResumePoint | None = None
    ) -> PlayRequest:
        """The request for one of the engine's start decisions."""
        return cls(
            source=decision.source,
            volume=decision.volume,
            shuffle=decision.shuffle,
            check_idle=decision.check_idle,
            resume=resume,
        )


@dataclass(frozen=True, slots=True)
class NowPlaying:
    """What the speaker (or the account) plays at one moment, as far as the backend knows."""

    is_playing: bool
    target_id: str | None  # Spotify device id, or the media player's entity id
    context_uri: str | None  # for media players: the content id it reports
    item_uri: str | None = None
    position_ms: int | None = None
    volume: int | None = None  # 0-100
    shuffle: bool | None = None


@dataclass(frozen=True, slots=True)
class FoundSpeaker:
    """The room's speaker found again under another id (Spotify renumbered it): save it."""

    target_id: str
    name: str


@dataclass(frozen=True, slots=True)
class StartOutcome:
    """What a start did: owned (we play) or observed (busy), where, and what it started."""

    owned: bool
    target_id: str | None
    context_uri: str | None  # what the end's ownership check compares with
    found: FoundSpeaker | None = None
    adopted: bool = False  # the play's answer was lost, but a read showed it had worked
    requests: int = 0  # round trips / service calls the start took (for bench and tests)


@dataclass(frozen=True, slots=True)
class EndOutcome:
    """What an end did: paused (still ours) or released (the user took over), and what played."""

    paused: bool
    playing: NowPlaying | None  # read just before pausing; None when nothing played


class SpeakerError(Exception):
    """A start or end failed; `translation_key` names the user-visible error.

    ``missing``: the speaker cannot be reached at all (raise the speaker repair issue);
    ``auth``: the account needs reauthentication.
    """

    def __init__(self, translation_key: str, *, missing: bool = False, auth: bool = False) -> None:
        super().__init__(translation_key)
        self.translation_key = translation_key
        self.missing = missing
        self.auth = auth


type BeforePlay = Callable[[], Awaitable[None]]
"""Awaited right before a start's first request that changes anything (write before you act)."""


@dataclass(frozen=True, slots=True)
class Reading:
    """A playback read the caller already made (follow-me's), so a start need not read again."""

    playing: NowPlaying | None


class Speaker(Protocol):
    """One room's speaker. Every method may raise SpeakerError."""

    kind: ClassVar[SpeakerKind]
    supports_transfer: ClassVar[bool]  # can take over an owned session from another room

    @property
    def target_id(self) -> str:
        """The id sessions record (Spotify device id or media player entity id)."""

    @property
    def player_entity(self) -> str | None:
        """The HA media player that sounds this speaker (announcements show there), if any."""

    async def async_start(
        self,
        request: PlayRequest,
        *,
        reading: Reading | None = None,
        before_play: BeforePlay | None = None,
    ) -> StartOutcome:
        """Start the request, or observe when check_idle finds the speaker/account busy.

        ``reading``: the account's playback as just read (no second read for check_idle);
        ``before_play``: awaited before the first request that changes anything.
        """

    def context_for(self, request: PlayRequest) -> str | None:
        """What a start of `request` will record as its context (what the end compares)."""

    async def async_still_ours(self, record: SessionRecord | Session) -> bool:
        """One read: whether what plays is still what `record` started (settling a start)."""

    async def async_now_playing(self) -> NowPlaying | None:
        """Read what plays right now (one read); None when nothing plays at all."""

    async def async_end(
        self, record: SessionRecord, *, known: NowPlaying | None = None
    ) -> EndOutcome:
        """Pause if what plays is still what `record` started.

        ``known`` is a read the caller has just made (a fade): then no second read is sent.
        """

    async def async_set_volume(self, percent: int) -> None:
        """Set the speaker's volume (0-100), e.g. for fade steps."""

    async def async_transfer(self, request: PlayRequest) -> StartOutcome:
        """Move the account's current playback here, keeping track and position (follow me).

        Only when `supports_transfer`; the caller checks that what moves is an owned session.
        The request's volume is applied after the move. A lost answer is settled by one read.
        """


def is_ours(playing: NowPlaying | None, record: SessionRecord | Session) -> bool:
    """Whether `playing` is still what `record` started (the engine's rule, `is_still_ours`).

    Unknown target → False: never pause what we cannot prove is ours.
    """
    return playing is not None and is_still_ours(
        is_playing=playing.is_playing,
        device_id=playing.target_id,
        context_uri=playing.context_uri,
        record=record,
    )
