"""Analyses kept on disk, keyed by what they were made from: a store opened again is not analysed again.

    analysis = load_or_analyze(corpus)      # the cached analysis when the content is the same

The key is the sha256 of the notes (ids, texts, places and times), the session turns, the
embedder, the `analyze` options and the package (its version and the digest of its source). The file is a pickle of the frozen
`Analysis` without its corpus (the caller's corpus is put back on load), written atomically; one
that does not load back whole and matching (a torn file, another version, other shapes) is
computed again and overwritten, never an error. The cache folder is trusted as the package's own
(a pickle runs code when loaded): it lives in the user's `cache_dir()`.
"""

from __future__ import annotations

import hashlib
import logging
import pickle
from collections.abc import Mapping
from dataclasses import replace
from functools import lru_cache
from pathlib import Path
from typing import Any

from .._version import __version__
from ..embed import Embedder, EmbeddingCache, cache_dir, get_embedder
from ..progress import Progress
from ..records import Corpus, Store
from .core import Analysis, analyze

log = logging.getLogger(__name__)

FORMAT = 1  # bump when `Analysis` changes shape
KEEP = 12  # analyses kept in the folder (the least recently used are removed)
_EMPTY = Corpus(Store(()))


@lru_cache(maxsize=1)
def code_digest() -> str:
    """sha256 of the package's source files: an analysis made by other code is never read back."""
    root = Path(__file__).resolve().parents[1]
    digest = hashlib.sha256(__version__.encode())
    for path in sorted(root.rglob("*.py")):
        digest.update(path.relative_to(root).as_posix().encode() + b"\0" + path.read_bytes() + b"\0")
    return digest.hexdigest()


def analyses_dir() -> Path:
    """Where analyses are kept: `<cache>/analyses`."""
    return cache_dir() / "analyses"


class PackedProfiles(Mapping):
    """Profiles kept pickled one by one and unpickled when first read: a stored analysis opens without
    rebuilding every profile (most views and plans read a few thousand of them)."""

    def __init__(self, packed: dict[str, bytes]) -> None:
        self._packed = packed
        self._open: dict[str, Any] = {}

    @classmethod
    def pack(cls, profiles: Mapping[str, Any]) -> PackedProfiles:
        if isinstance(profiles, PackedProfiles):
            return profiles
        return cls({key: pickle.dumps(value, protocol=pickle.HIGHEST_PROTOCOL) for key, value in profiles.items()})

    def __getitem__(self, key: str) -> Any:
        found = self._open.get(key)
        if found is None:
            found = self._open[key] = pickle.loads(self._packed[key])
        return found

    def __contains__(self, key: object) -> bool:
        return key in self._packed

    def __iter__(self):
        return iter(self._packed)

    def __len__(self) -> int:
        return len(self._packed)

    def __reduce__(self):
        return PackedProfiles, (self._packed,)


def analysis_key(corpus: Corpus, embedder_id: str, *, k: int = 15, bars: dict[str, float] | None = None) -> str:
    """sha256 of everything an analysis is made from (notes, turns, embedder, options, package version)."""
    digest = hashlib.sha256()

    def add(*parts: Any) -> None:
        digest.update("\x1f".join(str(p) for p in parts).encode("utf-8", "surrogatepass") + b"\x1e")

    add("analysis", FORMAT, code_digest(), embedder_id, k, sorted((bars or {}).items()))
    for note in corpus.notes:
        add(note.id, note.memory_id, note.path, note.position, note.kind, note.section, note.start, note.end,
            note.created_at.isoformat(), note.updated_at.isoformat(), note.parent, note.dated_by, note.evidence,
            note.parents, note.text)
    for session in corpus.sessions:
        add("session", session.id, session.started_at, session.title)
        for turn in session.turns:
            add(turn.id, turn.role, turn.at, turn.position, turn.text)
    return digest.hexdigest()


def load_or_analyze(corpus: Corpus, embedder: Embedder | str | None = None, *, k: int = 15,
                    bars: dict[str, float] | None = None, embeddings: EmbeddingCache | None = None,
                    progress: Progress | bool = False, folder: str | Path | None = None) -> Analysis:
    """The analysis of `corpus`: from the cache folder when the same content was analysed before with the
    same embedder and options, else `analyze(...)` (then kept for next time)."""
    if not isinstance(embedder, Embedder):
        embedder = get_embedder(embedder)
    key = analysis_key(corpus, embedder.id, k=k, bars=bars)
    path = Path(folder) if folder is not None else analyses_dir()
    path = path / f"{key[:40]}.analysis"
    cached = read_analysis(path, corpus, key)
    if cached is not None:
        return cached
    analysis = analyze(corpus, embedder, k=k, cache=embeddings, bars=bars, progress=progress)
    write_analysis(path, analysis, key)
    return analysis


def read_analysis(path: Path, corpus: Corpus, key: str) -> Analysis | None:
    """The analysis kept at `path` with the caller's corpus, or None (absent, torn, another version or shape)."""
    try:
        data = path.read_bytes()
    except OSError:
        return None
    try:
        stored = pickle.loads(data)
    except Exception as exc:  # noqa: BLE001  (a torn or foreign file, whatever unpickling makes of it)
        log.info("analysis cache %s unreadable (%s): analysing again", path.name, exc)
        return None
    if not (isinstance(stored, dict) and stored.get("format") == FORMAT and stored.get("version") == __version__
            and stored.get("key") == key and isinstance(stored.get("analysis"), Analysis)):
        return None
    analysis = replace(stored["analysis"], corpus=corpus)
    if not fits(analysis, corpus):
        return None
    try:
        path.touch()  # recently used: kept when the folder is trimmed
    except OSError:
        pass
    return analysis


def fits(analysis: Analysis, corpus: Corpus) -> bool:
    """The analysis's rows match the corpus: note ids in order, one vector per note and per statement."""
    n = len(corpus.notes)
    return (list(analysis.note_ids) == [note.id for note in corpus.notes]
            and analysis.vectors.shape[0] == n == len(analysis.neighbours) == len(analysis.clusters)
            == len(analysis.coords)
            and analysis.statement_vectors.shape[0] == len(analysis.statements)
            and (n == 0 or analysis.vectors.shape[1] == analysis.statement_vectors.shape[1]))


def write_analysis(path: Path, analysis: Analysis, key: str) -> None:
    """Keep `analysis` at `path` (atomically, without its corpus); a failure to write is only logged."""
    from ..files import write_bytes

    bare = replace(analysis, corpus=_EMPTY, profiles=PackedProfiles.pack(analysis.profiles))
    data = pickle.dumps({"format": FORMAT, "version": __version__, "key": key, "analysis": bare},
                        protocol=pickle.HIGHEST_PROTOCOL)
    try:
        write_bytes(path, data)
        _trim(path.parent)
    except OSError as exc:
        log.warning("analysis cache not saved (%s); it is computed again next time", exc.strerror or exc)


def _trim(folder: Path, keep: int = KEEP) -> None:
    """Remove all but the `keep` most recently used analyses."""
    kept = sorted(folder.glob("*.analysis"), key=lambda p: p.stat().st_mtime, reverse=True)
    for old in kept[keep:]:
        old.unlink(missing_ok=True)
