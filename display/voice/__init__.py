"""Voice calls (语音叫号): a pack of clips, announcements joined from them, a queue that plays them."""

from .announcer import AnnouncementQueue, Spoken
from .builder import Announcement, AnnouncementBuilder, VoiceSettings, sentence_clips
from .pack import VoicePack, VoiceUnavailableError, default_cache_dir
from .sinks import AudioSink, CommandSink, NullSink, open_sink

__all__ = [
    "Announcement",
    "AnnouncementBuilder",
    "AnnouncementQueue",
    "AudioSink",
    "CommandSink",
    "NullSink",
    "Spoken",
    "VoicePack",
    "VoiceSettings",
    "VoiceUnavailableError",
    "default_cache_dir",
    "open_sink",
    "sentence_clips",
]
