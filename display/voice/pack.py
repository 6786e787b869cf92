"""The voice pack: one short WAV clip per word of a call, recorded by the hall or generated once.

A call is read from a fixed vocabulary (请 / A–Z / 零–九 / 十 / 号 / 到 / 号窗口 / 办理 and a chime),
so halls can record their own announcer and a fresh machine still speaks offline:

- a hall may supply a folder of recorded clips (``qing.wav`` or ``请.wav``, ``A.wav``, ``0.wav`` or
  ``零.wav`` …); every clip it lacks is generated;
- generated clips come from ``espeak-ng -v cmn-latn-pinyin`` (pinyin with tone digits; the plain
  ``cmn`` voice reads the digits in English) and the chime from ``sox synth``;
- every clip, recorded or generated, is converted once with sox to one format (22.05 kHz, 16 bit,
  mono), trimmed of leading/trailing silence and peak-normalised, and kept in a cache directory keyed
  by a fingerprint of everything that shaped it. Later starts only read the cache.

Building an announcement then only joins PCM frames in memory (see ``builder``).
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
import subprocess
import tempfile
import wave
from collections.abc import Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)

SAMPLE_RATE = 22050
SAMPLE_WIDTH = 2  # bytes: 16-bit signed PCM
CHANNELS = 1

ESPEAK_VOICE = "cmn-latn-pinyin"
# Words per minute; docs/design/FIELD-NOTES.md: a whole sentence at 150 is clear, not slow.
ESPEAK_SPEED = 150

# Bump when the way clips are made changes, so old caches are not reused.
PACK_FORMAT = 1

# Leading and trailing silence below 1 % for 20 ms is cut, so clips join without dead air.
SOX_TRIM = ("silence", "1", "0.02", "1%", "reverse", "silence", "1", "0.02", "1%", "reverse")
SOX_NORM = ("norm", "-3")  # peak at -3 dBFS: recorded and generated clips sound equally loud


class VoiceUnavailableError(RuntimeError):
    """The pack cannot be made on this machine (espeak-ng or sox missing, or a clip unreadable)."""


@dataclass(frozen=True, slots=True)
class ClipSpec:
    """One word of the vocabulary: its key, the pinyin espeak-ng reads, the names a hall may use."""

    key: str
    pinyin: str
    aliases: tuple[str, ...] = ()


DIGIT_PINYIN = ("ling2", "yi1", "er4", "san1", "si4", "wu3", "liu4", "qi1", "ba1", "jiu3")
DIGIT_HANZI = "零一二三四五六七八九"

# Upper-case Latin letters: espeak-ng's Mandarin voices read a lone capital as its letter name
# (A → "ei", B → "bi"), which is how halls say ticket prefixes.
VOCABULARY: tuple[ClipSpec, ...] = (
    ClipSpec("qing", "qing3", ("请",)),
    ClipSpec("hao", "hao4", ("号",)),
    ClipSpec("dao", "dao4", ("到",)),
    ClipSpec("hao_chuangkou", "hao4 chuang1 kou3", ("号窗口",)),
    ClipSpec("banli", "ban4 li3", ("办理",)),
    ClipSpec("shi", "shi2", ("十",)),
    *(ClipSpec(str(d), DIGIT_PINYIN[d], (DIGIT_HANZI[d],)) for d in range(10)),
    *(ClipSpec(chr(c), chr(c), (chr(c).lower(),)) for c in range(ord("A"), ord("Z") + 1)),
)
CHIME = "chime"
ALL_KEYS: tuple[str, ...] = (CHIME, *(spec.key for spec in VOCABULARY))
SPECS: dict[str, ClipSpec] = {spec.key: spec for spec in VOCABULARY}


@dataclass(frozen=True, slots=True)
class Clip:
    """A clip in memory: raw PCM frames in the pack's format."""

    key: str
    frames: bytes
    source: str  # "recorded" | "espeak-ng" | "sox-synth"

    @property
    def seconds(self) -> float:
        return len(self.frames) / (SAMPLE_RATE * SAMPLE_WIDTH * CHANNELS)


class VoicePack:
    """Every clip of the vocabulary, in one format, in memory."""

    def __init__(self, clips: Mapping[str, Clip]) -> None:
        missing = [k for k in ALL_KEYS if k not in clips]
        if missing:
            raise VoiceUnavailableError(f"voice pack lacks clips {missing}")
        self.clips: dict[str, Clip] = dict(clips)

    def __getitem__(self, key: str) -> Clip:
        return self.clips[key]

    def __contains__(self, key: object) -> bool:
        return key in self.clips

    @classmethod
    def load(cls, cache_dir: Path, recorded: Path | None = None) -> VoicePack:
        """Read the pack from ``cache_dir``, making (once) whatever clips are not cached yet.

        ``recorded``: the hall's folder of recorded clips; clips it has win over generated ones.
        """
        return PackMaker(cache_dir, recorded).load()


def check_tools() -> list[str]:
    """The programs the pack maker needs that this machine lacks (empty when all are there)."""
    return [tool for tool in ("espeak-ng", "sox") if shutil.which(tool) is None]


class PackMaker:
    """Makes and caches clips. One instance per load; safe to run while another process loads too
    (every file is written to a temporary name and renamed into place)."""

    def __init__(self, cache_dir: Path, recorded: Path | None = None) -> None:
        self.cache_dir = cache_dir
        self.recorded = recorded

    def load(self) -> VoicePack:
        plan = {key: self._recorded_file(key) for key in ALL_KEYS}
        need_generated = [k for k, f in plan.items() if f is None]
        gen_dir = self.cache_dir / f"gen-{self.generated_fingerprint()}" if need_generated else None
        jobs: list[tuple[str, Path, str]] = []  # key, cached path, source
        for key, rec in plan.items():
            if rec is not None:
                jobs.append((key, self._recorded_cache_path(key, rec), "recorded"))
            else:
                assert gen_dir is not None
                jobs.append((key, gen_dir / f"{key}.wav", "sox-synth" if key == CHIME else "espeak-ng"))
        todo = [(key, path) for key, path, _ in jobs if not path.exists()]
        if todo:
            self._make_all(todo, plan)
        if gen_dir is not None:
            self._write_manifest(gen_dir)
        return VoicePack({key: Clip(key, read_frames(path), source) for key, path, source in jobs})

    # --- planning -------------------------------------------------------------------------------

    def _recorded_file(self, key: str) -> Path | None:
        if self.recorded is None:
            return None
        names = (key, *(SPECS[key].aliases if key in SPECS else ()))
        for name in names:
            for suffix in (".wav", ".WAV"):
                path = self.recorded / f"{name}{suffix}"
                if path.is_file():
                    return path
        return None

    def _recorded_cache_path(self, key: str, source: Path) -> Path:
        digest = hashlib.sha256(source.read_bytes()).hexdigest()[:16]
        tag = f"{PACK_FORMAT}-{SAMPLE_RATE}-{SAMPLE_WIDTH}-{CHANNELS}"
        return self.cache_dir / "recorded" / f"{key}-{digest}-{tag}.wav"

    def generated_fingerprint(self) -> str:
        """A hash of everything that shapes a generated clip: the same inputs reuse the cache."""
        missing = check_tools()
        if missing:
            raise VoiceUnavailableError(f"cannot generate voice clips: {', '.join(missing)} not installed")
        espeak = _run(["espeak-ng", "--version"]).stdout.decode(errors="replace").strip()
        sox = _run(["sox", "--version"]).stdout.decode(errors="replace").strip()
        recipe = {
            "format": PACK_FORMAT,
            "espeak": espeak,
            "sox": sox,
            "voice": ESPEAK_VOICE,
            "speed": ESPEAK_SPEED,
            "words": {s.key: s.pinyin for s in VOCABULARY},
            "pcm": [SAMPLE_RATE, SAMPLE_WIDTH, CHANNELS],
            "trim": SOX_TRIM,
            "norm": SOX_NORM,
            "chime": CHIME_NOTES,
        }
        blob = json.dumps(recipe, sort_keys=True, ensure_ascii=False).encode()
        return hashlib.sha256(blob).hexdigest()[:16]

    # --- making ---------------------------------------------------------------------------------

    def _make_all(self, todo: list[tuple[str, Path]], plan: Mapping[str, Path | None]) -> None:
        log.info("voice: making %d clip(s) in %s (once)", len(todo), self.cache_dir)

        def make(item: tuple[str, Path]) -> None:
            key, path = item
            rec = plan[key]
            path.parent.mkdir(parents=True, exist_ok=True)
            with tempfile.TemporaryDirectory(dir=path.parent, prefix=".make-") as tmp:
                out = Path(tmp) / "clip.wav"
                if rec is not None:
                    normalise(rec, out)
                elif key == CHIME:
                    synth_chime(out, Path(tmp))
                else:
                    speak(SPECS[key].pinyin, out, Path(tmp))
                out.replace(path)

        # espeak-ng and sox are single-threaded; one process per core roughly halves the first start.
        with ThreadPoolExecutor(max_workers=max(1, os.cpu_count() or 1)) as pool:
            list(pool.map(make, todo))

    def _write_manifest(self, gen_dir: Path) -> None:
        manifest = gen_dir / "manifest.json"
        if manifest.exists():
            return
        body = {"format": PACK_FORMAT, "voice": ESPEAK_VOICE, "speed": ESPEAK_SPEED, "keys": list(ALL_KEYS)}
        tmp = manifest.with_suffix(".tmp")
        tmp.write_text(json.dumps(body, ensure_ascii=False, indent=1))
        tmp.replace(manifest)


# Two falling notes (E6 then B5), the usual "ding-dong" before a call: (frequency Hz, seconds).
CHIME_NOTES: tuple[tuple[int, float], ...] = ((1319, 0.28), (988, 0.6))


def _run(argv: list[str]) -> subprocess.CompletedProcess[bytes]:
    try:
        return subprocess.run(argv, capture_output=True, check=True, timeout=60)
    except (OSError, subprocess.SubprocessError) as exc:
        raise VoiceUnavailableError(f"{argv[0]} failed: {exc}") from exc


def _sox_out_format() -> list[str]:
    return ["-r", str(SAMPLE_RATE), "-b", str(SAMPLE_WIDTH * 8), "-c", str(CHANNELS), "-e", "signed-integer"]


def normalise(src: Path, dst: Path) -> None:
    """Convert any WAV to the pack format, trimmed of silence and peak-normalised."""
    _run(["sox", str(src), *_sox_out_format(), str(dst), *SOX_TRIM, *SOX_NORM])
    if read_frames(dst) == b"":
        raise VoiceUnavailableError(f"{src} is silent (nothing left after trimming silence)")


def speak(pinyin: str, dst: Path, tmp: Path) -> None:
    """Generate one word with espeak-ng (pinyin with tone digits) into the pack format."""
    raw = tmp / "espeak.wav"
    _run(["espeak-ng", "-v", ESPEAK_VOICE, "-s", str(ESPEAK_SPEED), "-w", str(raw), pinyin])
    normalise(raw, dst)


def synth_chime(dst: Path, tmp: Path) -> None:
    """The chime before a call, synthesised with sox: short notes with a soft decay."""
    parts: list[str] = []
    for i, (freq, secs) in enumerate(CHIME_NOTES):
        part = tmp / f"note{i}.wav"
        fade = ["fade", "q", "0.005", str(secs), str(round(secs * 0.8, 3))]
        _run(["sox", "-n", *_sox_out_format(), str(part), "synth", str(secs), "sine", str(freq), *fade])
        parts.append(str(part))
    _run(["sox", *parts, *_sox_out_format(), str(dst), *SOX_NORM])


def read_frames(path: Path) -> bytes:
    """The PCM frames of a pack-format WAV; VoiceUnavailableError for any other format."""
    try:
        with wave.open(str(path), "rb") as w:
            fmt = (w.getframerate(), w.getsampwidth(), w.getnchannels())
            if fmt != (SAMPLE_RATE, SAMPLE_WIDTH, CHANNELS):
                raise VoiceUnavailableError(f"{path}: format {fmt} is not the pack format")
            return w.readframes(w.getnframes())
    except (OSError, EOFError, wave.Error) as exc:
        raise VoiceUnavailableError(f"{path}: unreadable WAV: {exc}") from exc


def default_cache_dir() -> Path:
    """``$HALLQ_VOICE_CACHE``, else ``$XDG_CACHE_HOME/hallq/voice`` (``~/.cache/hallq/voice``)."""
    env = os.environ.get("HALLQ_VOICE_CACHE")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "hallq" / "voice"
