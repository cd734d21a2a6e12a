"""Tables and lookups the views show: pure functions over Analysis, Plan and Review; no plotting, no widgets.

    views.notes_table(analysis, ["mem_3#0"], plan)   # the selected notes, in full
    views.plan_frame(plan)                           # one row per operation
    views.conflict_history(analysis, subject.members)

`workbench.plots` draws these; `workbench.ui` shows them; a notebook can use them directly.
"""

from __future__ import annotations

import difflib
import hashlib
import re
from collections import Counter, defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

if TYPE_CHECKING:
    from .analysis import Analysis
    from .dream.plan import Operation, Plan

FATES = ("kept", "merged", "updated", "pruned", "created")
TITLE_LIMIT = 60


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def short_title(text: str, limit: int = TITLE_LIMIT) -> str:
    """The first line of a text, whitespace collapsed, cut at a word boundary before `limit` with an ellipsis."""
    line = " ".join(str(text).strip().split("\n", 1)[0].split())
    line = re.sub(r"^[#>*\-+\s]+", "", line)
    return line if len(line) <= limit else cut_words(line, limit)


def cut_words(text: str, limit: int) -> str:
    """`text` cut to at most `limit` characters at the last word boundary, with an ellipsis (never mid-word,
    unless one word alone is longer than most of the limit)."""
    if len(text) <= limit:
        return text
    head = text[: limit - 1]
    space = head.rfind(" ")
    if not text[limit - 1].isspace() and space >= limit * 0.6:
        head = head[:space]
    return head.rstrip(" ,;:-–—") + "…"


def top_folder(path: str) -> str:
    """The top-level folder of a path (`/people/ann.md` → `/people`), `/` for files at the root."""
    return "/" + path.lstrip("/").split("/", 1)[0] if path.count("/") > 1 else "/"


# --- topics: the clusters the map shows, named in whole words ------------------------------------

MAX_CLUSTER_SHARE = 0.3  # a topic holding more of the store than this is split
LABEL_WORDS = 3


_WORD = re.compile(r"[^\W\d_]{3,}(?:['’-][^\W\d_]+)*")


def _words(text: str) -> list[str]:
    """Words of three letters or more, as written (no numbers, code or identifiers)."""
    return [m.group(0) for m in _WORD.finditer(text) if not (m.start() and text[m.start() - 1] in "`/_.@#")]


def surface_words(texts: Iterable[str]) -> dict[str, str]:
    """Each word stem → the form it is most often written in (``messag`` → ``message``)."""
    from .text import stem

    seen: dict[str, Counter] = defaultdict(Counter)
    for text in texts:
        for word in _words(text):
            lower = word.lower()
            seen[stem(lower)][lower] += 1
    return _most_written(seen)


def _most_written(seen: Mapping[str, Counter]) -> dict[str, str]:
    return {norm: min(forms.items(), key=lambda kv: (-kv[1], len(kv[0]), kv[0]))[0] for norm, forms in seen.items()}


def cluster_names(texts: Sequence[str], labels: Sequence[int], *, words: int = LABEL_WORDS) -> dict[int, str]:
    """c-TF-IDF: the words most specific to each cluster, written out in full ("message / commit").

    Words are compared by stem and shown in the form the notes most often use; numbers, code and
    words of one or two letters never name a topic.
    """
    from .compare import FUNCTION_WORDS
    from .text import stem

    per_cluster: dict[int, Counter] = defaultdict(Counter)
    df: Counter = Counter()
    seen: dict[str, Counter] = defaultdict(Counter)
    stems: dict[str, str] = {}
    for text, label in zip(texts, labels, strict=True):
        terms = set()
        for word in _words(text):
            lower = word.lower()
            if lower in FUNCTION_WORDS:
                continue
            norm = stems.get(lower)
            if norm is None:
                norm = stems[lower] = stem(lower)
            if norm in FUNCTION_WORDS:
                continue
            terms.add(norm)
            seen[norm][lower] += 1
        df.update(terms)
        if label >= 0:
            per_cluster[int(label)].update(terms)
    surface = _most_written(seen)
    total = max(1, len(texts))
    names = {}
    for label, counts in sorted(per_cluster.items()):
        scored = sorted(counts, key=lambda w: (-counts[w] * np.log(1 + total / df[w]), w))
        names[label] = " / ".join(surface.get(w, w) for w in scored[:words]) or f"topic {label}"
    return names


def map_clusters(analysis: Analysis, *, max_share: float = MAX_CLUSTER_SHARE) -> pd.DataFrame:
    """Topics for the map: the analysis's clusters, made useful to read (columns `cluster`, `label`).

    - a note the clustering left out joins the topic most of its close neighbours belong to
      (neighbours at or above the analysis's `floor` similarity), so few notes stay grey;
    - a topic holding more than `topic_limit` notes (a share of the store, at most an eighth of a big
      one) is split with k-means on its vectors;
    - topics are numbered by size (0 is the largest) and named by their most specific words,
      written out in full.
    Memoized on the analysis.
    """
    memo = getattr(analysis, "memo", None)
    if memo is None:
        return _map_clusters(analysis, max_share)
    key = ("map_clusters", max_share)
    if key not in memo:
        memo[key] = _map_clusters(analysis, max_share)
    return memo[key]


def _map_clusters(analysis: Analysis, max_share: float) -> pd.DataFrame:
    ids = list(analysis.note_ids)
    n = len(ids)
    index = pd.Index(ids, name="id")
    if n == 0:
        return pd.DataFrame({"cluster": pd.Series(dtype=int), "label": pd.Series(dtype=str)}, index=index)
    if len(analysis.clusters):
        labels = analysis.clusters["cluster"].reindex(ids).fillna(-1).astype(int).to_numpy().copy()
    else:
        labels = np.full(n, -1, dtype=int)
    floor = float(analysis.bars.get("floor", 0.0))
    neighbours = getattr(analysis, "neighbours", None)
    if (labels >= 0).any() and neighbours is not None and len(neighbours) == n and neighbours.ndim == 2:
        for _round in range(2):  # a second round lets a chain of left-out neighbours follow
            joined = False
            for i in np.flatnonzero(labels < 0):
                near = [int(labels[j]) for j, sim in zip(neighbours[i], analysis.neighbour_similarity[i])
                        if 0 <= j < n and sim >= floor and labels[j] >= 0]
                if near:
                    labels[i] = Counter(near).most_common(1)[0][0]
                    joined = True
            if not joined:
                break
    limit = topic_limit(n, max_share)
    next_label = int(labels.max()) + 1 if len(labels) else 0
    for _round in range(3):  # k-means can leave one part too big: split that again
        oversized = [c for c, size in Counter(labels[labels >= 0].tolist()).items() if size > limit]
        if not oversized:
            break
        for label in oversized:
            members = np.flatnonzero(labels == label)
            parts = min(len(members) // 2, int(np.ceil(len(members) / limit)) + 1)
            if parts < 2:
                continue
            split = _kmeans(analysis.vectors[members], parts)
            for part in range(1, parts):
                labels[members[split == part]] = next_label
                next_label += 1
    sizes = Counter(labels[labels >= 0].tolist())
    order = {old: new for new, (old, _) in enumerate(sorted(sizes.items(), key=lambda kv: (-kv[1], kv[0])))}
    labels = np.array([order.get(int(c), -1) for c in labels], dtype=int)
    texts = [analysis.corpus.note_by_id[i].text for i in ids]
    names = cluster_names(texts, labels)
    return pd.DataFrame({"cluster": labels, "label": [names.get(int(c), "unclustered") for c in labels]},
                        index=index)


def topic_limit(n: int, max_share: float = MAX_CLUSTER_SHARE) -> int:
    """The most notes one topic may hold: a share of the store, and at most an eighth of a big one."""
    return max(4, int(np.ceil(min(max_share * n, max(n / 8, 40)))))


def _kmeans(vectors: np.ndarray, parts: int) -> np.ndarray:
    """K-means on the vectors reduced to a dozen dimensions (more even parts than on the raw vectors)."""
    from sklearn.cluster import KMeans
    from threadpoolctl import threadpool_limits

    x = np.asarray(vectors, dtype=np.float32)
    with threadpool_limits(limits=1):  # small matrices: more threads only fight over a shared machine
        if x.shape[1] > 12 and len(x) > 12:
            from sklearn.decomposition import PCA

            x = PCA(12, random_state=0, svd_solver="randomized").fit_transform(x)
        return KMeans(n_clusters=parts, random_state=0, n_init=3).fit_predict(x)


def map_cluster_names(analysis: Analysis) -> dict[int, str]:
    """Topic number → name, for the topics `map_clusters` draws."""
    frame = map_clusters(analysis)
    real = frame[frame["cluster"] >= 0]
    return {int(c): str(label) for c, label in real.groupby("cluster")["label"].first().items()}


# --- the map --------------------------------------------------------------------------------


def map_points(analysis: Analysis, coords: pd.DataFrame | None = None) -> pd.DataFrame:
    """One row per note in `analysis.note_ids` order: x, y, title, path, folder, cluster, age, support."""
    coords = analysis.coords if coords is None else coords
    ids = pd.Index(analysis.note_ids, name="id")
    notes = analysis.corpus.note_by_id
    frame = pd.DataFrame(index=ids)
    frame["x"] = coords["x"].reindex(ids).to_numpy(dtype=float)
    frame["y"] = coords["y"].reindex(ids).to_numpy(dtype=float)
    frame["title"] = [short_title(notes[i].text) for i in ids]
    frame["path"] = [notes[i].path for i in ids]
    frame["folder"] = [top_folder(p) for p in frame.path]
    topics = map_clusters(analysis)
    frame["cluster"] = topics["cluster"].reindex(ids).fillna(-1).astype(int).to_numpy()
    frame["cluster_label"] = topics["label"].reindex(ids).fillna("unclustered").to_numpy()
    status = analysis.notes
    for column, default in (("age_days", 0.0), ("support_sessions", 0)):
        values = status[column].reindex(ids) if column in getattr(status, "columns", ()) else None
        frame[column] = values.fillna(default).to_numpy() if values is not None else default
    return frame


@dataclass(frozen=True)
class Links:
    """One kind of link as None-separated x/y arrays, with how many exist and how many are drawn."""

    kind: str
    x: tuple
    y: tuple
    shown: int
    total: int

    @property
    def name(self) -> str:
        more = f", {self.shown} of {self.total}" if self.total > self.shown else ""
        return f"{self.kind} links ({self.shown}{more})" if self.total else f"{self.kind} links"


def link_pairs(analysis: Analysis, ids: Iterable[str] | None = None) -> dict[str, list[tuple[str, str]]]:
    """Duplicate (representative → member) and conflict (older → newer) pairs touching `ids` (all when None)."""
    if ids is None:
        return {"duplicate": [(g.representative, m) for g in analysis.duplicates for m in g.notes
                              if m != g.representative],
                "conflict": [(c.older, c.newer) for c in analysis.conflicts]}
    wanted = set(ids)
    duplicates = [(g.representative, m) for g in analysis.duplicates if wanted.intersection(g.notes)
                  for m in g.notes if m != g.representative]
    conflicts = [(c.older, c.newer) for c in analysis.conflicts if c.older in wanted or c.newer in wanted]
    return {"duplicate": duplicates, "conflict": conflicts}


def link_count(analysis: Analysis) -> int:
    """How many duplicate and conflict links the whole store has."""
    return sum(len(g.notes) - 1 for g in analysis.duplicates) + len(analysis.conflicts)


def link_segments(analysis: Analysis, ids: Iterable[str] | None, coords: pd.DataFrame, *,
                  max_links: int = 300) -> dict[str, Links]:
    """Line segments for duplicate and conflict links touching `ids` (none when `ids` is None)."""
    pairs = link_pairs(analysis, ids) if ids is not None else {"duplicate": [], "conflict": []}
    x_of, y_of = coords["x"], coords["y"]
    out = {}
    for kind, found in pairs.items():
        drawable = [(a, b) for a, b in found if a in x_of.index and b in x_of.index]
        shown = drawable[:max_links]
        xs: list = []
        ys: list = []
        for a, b in shown:
            xs += [float(x_of[a]), float(x_of[b]), None]
            ys += [float(y_of[a]), float(y_of[b]), None]
        out[kind] = Links(kind, tuple(xs), tuple(ys), len(shown), len(drawable))
    return out


def extra_points(analysis: Analysis, coords: pd.DataFrame | None = None, *, insights: bool = True,
                 statements: bool = False, max_statements: int = 5_000) -> pd.DataFrame:
    """Candidate insights and session fact sentences placed beside the note they resemble most.

    A point sits next to its most similar note (a small fixed offset, the same for every layout),
    which works for any layout (PCA or UMAP) without refitting it. An average of several notes
    would pull every point that resembles notes far apart into the middle of the map, where a
    pile of stars hides the notes.
    """
    from .analysis import top_matches

    coords = analysis.coords if coords is None else coords
    columns = ["x", "y", "kind", "title"]
    if not len(analysis.note_ids):
        return pd.DataFrame(columns=columns, index=pd.Index([], name="id"))
    row = {s.id: i for i, s in enumerate(analysis.statements)}
    ids, kinds, titles, vectors = [], [], [], []
    if insights:
        for candidate in analysis.insights:
            rows = [row[s] for s in candidate.statements if s in row]
            if rows:
                ids.append(candidate.id)
                kinds.append("insight")
                titles.append(short_title(candidate.text))
                vectors.append(analysis.statement_vectors[rows].mean(axis=0))
    if statements:
        in_conflict = {c.newer for c in analysis.conflicts if c.source == "session"}
        chosen = [s for s in analysis.statements if s.kind or s.id in in_conflict][:max_statements]
        for s in chosen:
            ids.append(s.id)
            kinds.append("session")
            titles.append(short_title(s.text))
            vectors.append(analysis.statement_vectors[row[s.id]])
    if not ids:
        return pd.DataFrame(columns=columns, index=pd.Index([], name="id"))
    matrix = np.vstack(vectors).astype(np.float32)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    norms[norms == 0] = 1
    index, _sims = top_matches(matrix / norms, analysis.vectors, k=1)
    note_xy = coords[["x", "y"]].reindex(analysis.note_ids).to_numpy(dtype=float)
    span = np.nanmax(note_xy, axis=0) - np.nanmin(note_xy, axis=0) if len(note_xy) else np.ones(2)
    span = np.where(np.isfinite(span) & (span > 0), span, 1.0)
    angle = np.array([int(sha256_hex(i)[:8], 16) % 360 for i in ids], dtype=float) * np.pi / 180
    offset = np.column_stack([np.cos(angle), np.sin(angle)]) * span * 0.012
    xy = note_xy[index[:, 0]] + offset
    return pd.DataFrame({"x": xy[:, 0], "y": xy[:, 1], "kind": kinds, "title": titles},
                        index=pd.Index(ids, name="id"))


# --- selections and details ------------------------------------------------------------------


def search_notes(analysis: Analysis, query: str) -> list[str]:
    """Ids of notes whose text or path contains every word of `query` (case-insensitive)."""
    words = [w for w in query.lower().split() if w]
    if not words:
        return []
    return [n.id for n in analysis.corpus.notes
            if all(w in f"{n.path} {n.text}".lower() for w in words)]


def notes_table(analysis: Analysis, ids: Iterable[str], plan: Plan | None = None) -> pd.DataFrame:
    """Full notes for `ids` (in map order): path, text, cluster, age, support, duplicates, conflicts, sessions, fate."""
    wanted = [i for i in dict.fromkeys(ids) if i in analysis.corpus.note_by_id]
    columns = ["path", "text", "cluster", "age_days", "support_sessions", "duplicates", "conflicts", "sessions"]
    if plan is not None:
        columns.append("fate")
    if not wanted:
        return pd.DataFrame(columns=columns, index=pd.Index([], name="id"))
    notes = analysis.corpus.note_by_id
    twins: dict[str, list[str]] = defaultdict(list)
    for group in analysis.duplicates:
        for m in group.notes:
            twins[m] += [o for o in group.notes if o != m]
    rivals: dict[str, list[str]] = defaultdict(list)
    for pair in analysis.conflicts:
        rivals[pair.older].append(pair.newer)
        rivals[pair.newer].append(pair.older)
    mentions = analysis.mentions
    near = mentions[mentions.note.isin(wanted)].drop_duplicates(["note", "session"]).sort_values("session")
    sessions: dict[str, list[str]] = defaultdict(list)  # a plain loop: groupby(...).agg(list) is 20× slower
    for note, session in zip(near["note"].tolist(), near["session"].tolist(), strict=True):
        sessions[note].append(session)
    label = map_clusters(analysis)["label"].reindex(wanted).fillna("unclustered").tolist()
    status = analysis.notes.reindex(wanted) if len(analysis.notes) else pd.DataFrame(index=wanted)
    age = status["age_days"].fillna(0.0).astype(float).tolist() if "age_days" in status else [0.0] * len(wanted)
    support = (status["support_sessions"].fillna(0).astype(int).tolist() if "support_sessions" in status
               else [0] * len(wanted))
    fates = plan.fates() if plan is not None else {}
    rows = []
    for k, i in enumerate(wanted):
        row = {"id": i, "path": notes[i].path, "text": notes[i].text, "cluster": label[k], "age_days": age[k],
               "support_sessions": support[k], "duplicates": twins.get(i, []), "conflicts": rivals.get(i, []),
               "sessions": sessions.get(i, [])}
        if plan is not None:
            row["fate"] = fates.get(i, "kept")
        rows.append(row)
    return pd.DataFrame(rows, columns=["id", *columns]).set_index("id")


def duplicates_frame(analysis: Analysis) -> pd.DataFrame:
    """One row per note of each duplicate group: group id, path, text, and whether it is the representative."""
    notes = analysis.corpus.note_by_id
    rows = [{"id": m, "group": g.id, "path": notes[m].path if m in notes else "",
             "text": notes[m].text if m in notes else "", "representative": m == g.representative}
            for g in analysis.duplicates for m in g.notes]
    return pd.DataFrame(rows, columns=["id", "group", "path", "text", "representative"]).set_index("id")


@dataclass(frozen=True)
class Mention:
    """A session sentence close to a note."""

    session_id: str
    session_title: str
    turn_id: str
    quote: str
    relation: str
    similarity: float
    at: object = None  # when the turn was said
    turn: int | None = None  # its number in the session (1-based)
    turns: int | None = None  # how many turns the session has

    @property
    def where(self) -> str:
        """"2025-05-02 14:10 · turn 7 of 24"."""
        parts = [_when(self.at)] if self.at is not None else []
        if self.turn is not None:
            parts.append(f"turn {self.turn} of {self.turns}")
        return " · ".join(parts)


@dataclass(frozen=True)
class NoteContext:
    """What the reader needs next to a note: its duplicates, its conflicts, the sessions that mention it."""

    id: str
    path: str
    text: str
    duplicates: tuple[tuple[str, str], ...]  # (note id, text)
    conflicts: tuple[tuple[str, str, str], ...]  # (id, text, detail)
    mentions: tuple[Mention, ...]


def note_context(analysis: Analysis, ids: Sequence[str], *, max_mentions: int = 5) -> list[NoteContext]:
    """Duplicates, conflicts and mentioning sessions of each note in `ids`."""
    corpus = analysis.corpus
    notes = corpus.note_by_id
    statements = {s.id: s for s in analysis.statements}
    titles = {s.id: s.title for s in corpus.sessions}
    text_of = lambda i: notes[i].text if i in notes else statements[i].text if i in statements else i  # noqa: E731
    wanted = set(ids)
    near = analysis.mentions[analysis.mentions.note.isin(wanted)].sort_values(
        ["note", "similarity"], ascending=[True, False])
    by_note: dict[str, list[dict]] = defaultdict(list)  # plain records: pandas per group costs ms per note
    for r in near.to_dict("records"):
        if len(by_note[r["note"]]) < max_mentions:
            by_note[r["note"]].append(r)
    out = []
    for i in ids:
        if i not in notes:
            continue
        dups = tuple((m, notes[m].text) for g in analysis.duplicates if i in g.notes for m in g.notes if m != i)
        rivals = tuple(((c.newer if c.older == i else c.older), text_of(c.newer if c.older == i else c.older), c.detail)
                       for c in analysis.conflicts if i in (c.older, c.newer))
        mentions = tuple(
            Mention(r["session"], titles.get(r["session"], r["session"]), statements[r["statement"]].turn_id,
                    statements[r["statement"]].text, r["relation"], float(r["similarity"]),
                    *_turn_place(corpus, r["session"], statements[r["statement"]].turn_id))
            for r in by_note.get(i, ()))
        out.append(NoteContext(i, notes[i].path, notes[i].text, dups, rivals, mentions))
    return out


def _turn_place(corpus, session_id: str, turn_id: str) -> tuple[object, int | None, int | None]:
    """(when, turn number, turns in the session) of a turn."""
    session = corpus.session_by_id.get(session_id) if hasattr(corpus, "session_by_id") else None
    if session is None:
        return None, None, None
    for k, turn in enumerate(session.turns):
        if turn.id == turn_id:
            return turn.at or session.started_at, k + 1, len(session.turns)
    return session.started_at, None, None


# --- conflicts ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ConflictSubject:
    """Notes and session sentences that give one subject different values (a connected group)."""

    id: str
    label: str
    members: tuple[str, ...]
    details: tuple[str, ...]


def conflict_subjects(analysis: Analysis) -> list[ConflictSubject]:
    """Conflict pairs grouped into subjects (connected components), newest value's title as label."""
    parent: dict[str, str] = {}

    def find(x: str) -> str:
        parent.setdefault(x, x)
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    for pair in analysis.conflicts:
        parent[find(pair.older)] = find(pair.newer)
    groups: dict[str, list[str]] = defaultdict(list)
    for member in list(parent):
        groups[find(member)].append(member)
    details: dict[str, list[str]] = defaultdict(list)
    for pair in analysis.conflicts:
        details[find(pair.older)].append(pair.detail)
    out = []
    for root, members in groups.items():
        frame = conflict_history(analysis, members)
        newest = frame.iloc[-1]
        first_note = next((m for m in frame.index if m in analysis.corpus.note_by_id), frame.index[0])
        out.append(ConflictSubject(f"subject-{first_note}", short_title(newest["text"], 70), tuple(frame.index),
                                   tuple(dict.fromkeys(details[root]))))
    return sorted(out, key=lambda s: (-len(s.members), s.id))


def conflict_history(analysis: Analysis, members: Iterable[str]) -> pd.DataFrame:
    """The values of one subject over time: source (note/session), text, time, path, sessions stating it."""
    notes = analysis.corpus.note_by_id
    statements = {s.id: s for s in analysis.statements}
    titles = {s.id: s.title for s in analysis.corpus.sessions}
    turn_session = {t.id: t.session_id for t in analysis.corpus.turns}
    status = analysis.notes
    rows = []
    for m in members:
        if m in notes:
            note = notes[m]
            stated = set(status.at[m, "supported_by"]) if m in status.index else set()
            stated |= {turn_session[t] for t in note.evidence if t in turn_session}
            rows.append({"id": m, "source": "note", "text": note.text, "at": note.updated_at, "path": note.path,
                         "sessions": sorted(stated), "session_titles": [titles.get(s, s) for s in sorted(stated)]})
        elif m in statements:
            s = statements[m]
            rows.append({"id": m, "source": "session", "text": s.text, "at": s.at, "path": "",
                         "sessions": [s.session_id], "session_titles": [titles.get(s.session_id, s.session_id)]})
    frame = pd.DataFrame(rows, columns=["id", "source", "text", "at", "path", "sessions", "session_titles"])
    frame["at"] = pd.to_datetime(frame["at"], utc=True)
    frame = frame.sort_values(["at", "id"], na_position="first").set_index("id")
    frame["latest"] = False
    if len(frame):
        frame.iloc[-1, frame.columns.get_loc("latest")] = True
    return frame


def resolving_operations(plan: Plan, members: Iterable[str]) -> list[Operation]:
    """The update operations of `plan` that settle a conflict among `members`."""
    wanted = set(members)
    return [op for op in plan.operations if op.kind == "update" and op.reason == "conflict"
            and (wanted & {t.id for t in op.targets} or (op.result is not None and op.result.note_id in wanted))]


# --- plans ----------------------------------------------------------------------------------------


def plan_frame(plan: Plan) -> pd.DataFrame:
    """One row per operation, in plan order: kind, reason, confidence, target ids, result text, rationale."""
    rows = [{"id": op.id, "kind": op.kind, "reason": op.reason, "confidence": op.confidence,
             "targets": [t.id for t in op.targets], "result": op.result.text if op.result is not None else None,
             "rationale": op.rationale} for op in plan.operations]
    return pd.DataFrame(rows, columns=["id", "kind", "reason", "confidence", "targets", "result",
                                       "rationale"]).set_index("id")


SORTS = {"reason": "grouped by reason", "confidence": "confidence, lowest first",
         "-confidence": "confidence, highest first", "plan": "plan order"}


@dataclass(frozen=True)
class OperationQuery:
    """Which operations a reviewer wants to see, and in what order (empty tuples mean "any")."""

    text: str = ""  # words that must all appear in the rationale, the targets, the result or the evidence
    path: str = ""  # a part of a target's or the result's path
    kinds: tuple[str, ...] = ()
    reasons: tuple[str, ...] = ()
    rules: tuple[str, ...] = ()
    confidence: tuple[float, float] = (0.0, 1.0)
    pending_only: bool = False
    breaks_only: bool = False
    sort: str = "reason"

    def __post_init__(self) -> None:
        if self.sort not in SORTS:
            raise ValueError(f"sort must be one of {', '.join(SORTS)}, got {self.sort!r}")


def _haystack(op: Operation) -> str:
    parts = [op.rationale, op.reason, op.kind, op.rule, op.id]
    parts += [f"{t.path} {t.text}" for t in op.targets]
    if op.result is not None:
        parts.append(f"{op.result.path} {op.result.text}")
    parts += [e.quote for e in op.evidence]
    return " ".join(parts).lower()


def select_operations(plan: Plan, query: OperationQuery = OperationQuery(), *, decided: Iterable[str] = (),
                      breaks: Mapping[str, Sequence[str]] | None = None) -> list[Operation]:
    """The operations of `plan` that match `query`, in its order.

    `decided`: ids of operations that have a decision (left out with `pending_only`); `breaks`:
    operation id → probes it breaks (only those kept with `breaks_only`).
    """
    words = query.text.lower().split()
    path = query.path.strip().lower()
    low, high = query.confidence
    done = set(decided) if query.pending_only else set()
    breaking = breaks or {}
    out = []
    for op in plan.operations:
        if query.kinds and op.kind not in query.kinds:
            continue
        if query.reasons and op.reason not in query.reasons:
            continue
        if query.rules and op.rule not in query.rules:
            continue
        if not (low - 1e-9 <= op.confidence <= high + 1e-9):
            continue
        if op.id in done or (query.breaks_only and not breaking.get(op.id)):
            continue
        if path and not any(path in p.lower() for p in [*(t.path for t in op.targets),
                                                         *([op.result.path] if op.result else [])]):
            continue
        if words:
            hay = _haystack(op)
            if not all(w in hay for w in words):
                continue
        out.append(op)
    if query.sort == "confidence":
        out.sort(key=lambda op: op.confidence)
    elif query.sort == "-confidence":
        out.sort(key=lambda op: -op.confidence)
    elif query.sort == "reason":
        counts = Counter(op.reason for op in plan.operations)
        rank = {r: i for i, (r, _) in enumerate(sorted(counts.items(), key=lambda kv: (-kv[1], kv[0])))}
        out.sort(key=lambda op: rank.get(op.reason, len(rank)))
    return out


@dataclass(frozen=True)
class EvidenceLine:
    """One piece of evidence as a reader sees it: where it comes from, when, and the whole quote."""

    where: str  # "Planning the Q3 launch · 2025-05-02 14:10 · turn 7 of 24" or "note … · /path · 2025-04-28"
    quote: str
    session_id: str | None = None
    turn_id: str | None = None
    note_id: str | None = None


def _when(value) -> str:
    if value is None:
        return "undated"
    try:
        return pd.Timestamp(value).strftime("%Y-%m-%d %H:%M")
    except (ValueError, TypeError):
        return str(value)


def _note_place(note_id: str, corpus=None, store=None) -> tuple[str, str]:
    """(path, date written) of a note or memory id, from the corpus or the store."""
    notes = corpus.note_by_id if corpus is not None else ({n.id: n for n in store.notes} if store is not None else {})
    note = notes.get(note_id)
    if note is not None:
        return note.path, _when(note.updated_at)
    memories = store.by_id if store is not None and hasattr(store, "by_id") else {}
    memory = memories.get(note_id.split("#")[0]) if memories else None
    if memory is not None:
        return memory.path, _when(memory.updated_at)
    return "", "undated"


def evidence_lines(op: Operation, corpus=None, store=None) -> list[EvidenceLine]:
    """The evidence of `op` with session title, date and turn number, or the note's path and date."""
    sessions = {s.id: s for s in corpus.sessions} if corpus is not None else {}
    out = []
    for e in op.evidence:
        if e.session_id:
            session = sessions.get(e.session_id)
            title = (session.title or e.session_id) if session is not None else e.session_id
            where = [cut_words(title, 60)]
            turn = None
            if session is not None:
                position = next((k for k, t in enumerate(session.turns) if t.id == e.turn_id), None)
                if position is not None:
                    turn = session.turns[position]
                    where += [_when(turn.at or session.started_at), f"turn {position + 1} of {len(session.turns)}"]
                else:
                    where.append(_when(session.started_at))
            if turn is None and e.turn_id:
                where.append(f"turn {e.turn_id}")
            out.append(EvidenceLine(" · ".join(where), e.quote, e.session_id, e.turn_id, e.note_id))
        elif e.note_id:
            path, when = _note_place(e.note_id, corpus, store)
            out.append(EvidenceLine(" · ".join(x for x in (f"note {e.note_id}", path, f"written {when}") if x),
                                    e.quote, None, None, e.note_id))
        else:
            out.append(EvidenceLine("", e.quote))
    return out


def target_dates(op: Operation, corpus=None, store=None) -> list[tuple[str, str, str]]:
    """(note id, path, date written) of every target of `op`: what a conflict between two notes shows."""
    return [(t.id, t.path or _note_place(t.id, corpus, store)[0], _note_place(t.id, corpus, store)[1])
            for t in op.targets]


def decided_plan(plan: Plan, review) -> Plan:
    """`plan` restricted to what `review` would apply: approved, unblocked operations, edits in their results.

    The fates, flows and counts of this plan describe exactly what an export writes.
    """
    from dataclasses import replace

    edits = review.edits()
    ops = []
    for op in review.approved_operations():
        if op.id in edits and op.result is not None:
            op = replace(op, result=replace(op.result, text=edits[op.id]))
        ops.append(op)
    return replace(plan, operations=ops)


@dataclass(frozen=True)
class ExportPreview:
    """What an export of the current decisions writes: the applied store's size and what went into it."""

    memories_in: int
    notes_in: int
    memories: int
    notes: int
    applied: dict[str, int]  # approved (unblocked) operations by kind
    pending: int
    rejected: int
    blocked: int
    plan: Plan  # the plan restricted to the applied operations (`decided_plan`)

    @property
    def operations(self) -> int:
        return sum(self.applied.values())


def export_preview(store, plan: Plan, review) -> ExportPreview:
    """Apply the approved operations (in memory) and say what the snapshot will hold."""
    from .review import apply

    out = apply(store, plan, review)
    counts = review.counts()
    applied = Counter(op.kind for op in review.approved_operations())
    return ExportPreview(len(store.memories), len(store.notes), len(out.memories), len(out.notes),
                         dict(sorted(applied.items())), counts["pending"], counts["reject"], counts["blocked"],
                         decided_plan(plan, review))


def fate_counts(plan: Plan) -> dict[str, int]:
    """How many input notes are kept, merged, updated, pruned, and how many notes are created."""
    counts = Counter(plan.fates().values())
    out = {fate: counts.get(fate, 0) for fate in FATES}
    out["created"] = sum(1 for op in plan.operations if op.kind == "create")
    return out


def fate_flows(plan: Plan) -> list[tuple[str, str, int]]:
    """(source, target, count) flows: input notes → fate → output notes (or removed / folded in)."""
    counts = fate_counts(plan)
    fates = plan.fates()
    flows = [("input notes", fate, counts[fate]) for fate in ("kept", "merged", "updated", "pruned")]
    flows.append(("sessions", "created", counts["created"]))
    survivors: dict[str, set[str]] = {"merged": set(), "updated": set()}
    for op in plan.operations:
        if op.kind in ("merge", "update") and op.result is not None and op.result.note_id:
            survivors["merged" if op.kind == "merge" else "updated"].add(op.result.note_id)
    for fate in ("merged", "updated"):
        kept = sum(1 for note_id in survivors[fate] if fates.get(note_id) == fate)
        flows.append((fate, "output notes", kept))
        flows.append((fate, "folded into another note", counts[fate] - kept))
    flows.append(("kept", "output notes", counts["kept"]))
    flows.append(("created", "output notes", counts["created"]))
    flows.append(("pruned", "removed", counts["pruned"]))
    return [f for f in flows if f[2] > 0]


def fate_differences(plan_a: Plan, plan_b: Plan) -> pd.DataFrame:
    """Notes whose fate differs between two plans, and insights only one of them creates."""
    fa, fb = plan_a.fates(), plan_b.fates()
    notes = {n.id: n for n in plan_a.input_notes or plan_b.input_notes}
    rows = [{"id": i, "title": short_title(notes[i].text) if i in notes else i, "a": fa.get(i, "kept"),
             "b": fb.get(i, "kept")} for i in sorted(set(fa) | set(fb)) if fa.get(i, "kept") != fb.get(i, "kept")]
    created_a = {op.result.text: op.id for op in plan_a.operations if op.kind == "create" and op.result}
    created_b = {op.result.text: op.id for op in plan_b.operations if op.kind == "create" and op.result}
    for text in sorted(set(created_a) ^ set(created_b)):
        rows.append({"id": created_a.get(text) or created_b.get(text), "title": short_title(text),
                     "a": "created" if text in created_a else "—", "b": "created" if text in created_b else "—"})
    return pd.DataFrame(rows, columns=["id", "title", "a", "b"]).set_index("id")


def support_matrix(analysis: Analysis, *, bar: float | None = None, max_clusters: int = 30) -> pd.DataFrame:
    """Cluster × session counts of session sentences that restate a note of the cluster."""
    bar = analysis.bars.get("support", 0.0) if bar is None else bar
    mentions = analysis.mentions
    hits = mentions[(mentions.relation == "duplicate") & (mentions.similarity >= bar)]
    sessions = sorted(analysis.corpus.sessions, key=lambda s: (s.started_at is None, s.started_at or 0, s.id))
    columns = [s.id for s in sessions]
    topics = map_clusters(analysis)
    if hits.empty or not len(topics):
        return pd.DataFrame(index=pd.Index([], name="cluster"), columns=columns, dtype=int)
    labels = pd.Series([f"{c}: {label}" if c >= 0 else "unclustered" for c, label in
                        zip(topics["cluster"], topics["label"])], index=topics.index)
    table = pd.crosstab(hits.note.map(labels), hits.session)
    table = table.reindex(columns=columns, fill_value=0)
    order = table.sum(axis=1).sort_values(ascending=False).index[:max_clusters]
    table = table.loc[order]
    table.index.name = "cluster"
    return table


# --- before and after -----------------------------------------------------------------------------


def diff_rows(before: str, after: str) -> list[tuple[str, str, str]]:
    """Side-by-side rows (tag, left, right): tag is equal, removed, added or changed."""
    a, b = before.splitlines(), after.splitlines()
    rows = []
    for tag, i1, i2, j1, j2 in difflib.SequenceMatcher(None, a, b, autojunk=False).get_opcodes():
        if tag == "equal":
            rows += [("equal", x, y) for x, y in zip(a[i1:i2], b[j1:j2], strict=True)]
        elif tag == "delete":
            rows += [("removed", x, "") for x in a[i1:i2]]
        elif tag == "insert":
            rows += [("added", "", y) for y in b[j1:j2]]
        else:
            old, new = a[i1:i2], b[j1:j2]
            for k in range(max(len(old), len(new))):
                x, y = (old[k] if k < len(old) else ""), (new[k] if k < len(new) else "")
                rows.append(("changed" if x and y else "removed" if x else "added", x, y))
    return rows


def operation_texts(op: Operation) -> tuple[str, str]:
    """Before and after of one operation at note level: the targets' texts, then the result."""
    before = "\n".join(t.text for t in op.targets)
    after = op.result.text if op.result is not None and op.kind != "delete" else ""
    return before, after


def operation_documents(plan: Plan, op: Operation, content: str | None = None) -> list[tuple[str, str, str]]:
    """(path, before, after) of every document the operation alone changes (with an edited result)."""
    from .dream.plan import apply_operations

    store = plan.input_store
    if store is None:
        return []
    after = apply_operations(store, [op], at=None, edits={op.id: content} if content else None)
    paths = {t.path for t in op.targets} | ({op.result.path} if op.result is not None else set())
    out = []
    for path in sorted(paths):
        old = store.by_path.get(path)
        new = after.by_path.get(path)
        before, after_text = (old.content if old else ""), (new.content if new else "")
        if before != after_text:
            out.append((path, before, after_text))
    return out


__all__ = [
    "FATES", "TITLE_LIMIT", "Links", "Mention", "NoteContext", "ConflictSubject",
    "short_title", "top_folder", "map_points", "link_pairs", "link_segments", "extra_points",
    "search_notes", "notes_table", "duplicates_frame", "note_context",
    "conflict_subjects", "conflict_history", "resolving_operations",
    "plan_frame", "fate_counts", "fate_flows", "fate_differences", "support_matrix",
    "diff_rows", "operation_texts", "operation_documents",
]
