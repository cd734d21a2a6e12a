"""Secrets in memories: found with detect-secrets, redacted in every artifact that quotes a note.

`scan(text)` finds secret values with detect-secrets' detectors (AWS, GitHub, GitLab, Slack,
Stripe, JWT, URLs with a password, private keys, `password = …` and more) plus the shapes it
lacks: Anthropic and OpenAI keys, GitHub fine-grained tokens, Google API keys, bearer headers.
`redact(text)` replaces each value with a placeholder that names its kind and a short hash,
`[REDACTED github_token 1a2b3c4d5e6f]`, so plan.json, decisions, CHANGES.md and manifest.json
never carry the value. A redacted plan still applies: `restorer(texts)` maps placeholders back
to the values found in the input store (and only there).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from .records import sha256

PLACEHOLDER = re.compile(r"\[REDACTED ([a-z0-9_]+) ([0-9a-f]{12})\]")
_PEM = re.compile(r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY-----.*?(?:-----END [A-Z0-9 ]*PRIVATE KEY-----|\Z)", re.S)
# Every detector needs one of these; a line without any is skipped (most lines of prose).
_MAYBE = re.compile(r"[A-Za-z0-9_\-+/=.]{16,}|://|PRIVATE KEY|(?i:pass|pwd|secret|key|contrase)")
_TOKEN_TAIL = re.compile(r"[A-Za-z0-9_\-]*(?:\.[A-Za-z0-9_\-]+)*")  # a match cut short (JWT signature, long keys)

# detect-secrets' names for what it finds → the kinds the workbench reports
KIND_NAMES = {
    "AWS Access Key": "aws_access_key", "Secret Keyword": "password", "Private Key": "private_key",
    "GitHub Token": "github_token", "Slack Token": "slack_token", "Stripe Access Key": "stripe_key",
    "JSON Web Token": "jwt", "Basic Auth Credentials": "url_password", "OpenAI Token": "openai_api_key",
}


@dataclass(frozen=True)
class Finding:
    """One secret value in a text: its kind and where it is (the value itself is never printed)."""

    kind: str
    start: int
    end: int
    value: str

    def __repr__(self) -> str:
        return f"Finding({self.kind!r}, {self.start}, {self.end})"


def _extra_detectors() -> list:
    """Shapes detect-secrets 1.5 does not know, written as its own regex detectors."""
    from detect_secrets.plugins.base import RegexBasedDetector

    def detector(kind: str, *patterns: str) -> RegexBasedDetector:
        cls = type(kind, (RegexBasedDetector,), {"secret_type": kind, "denylist": [re.compile(p) for p in patterns]})
        return cls()

    return [
        detector("anthropic_api_key", r"\bsk-ant-[A-Za-z0-9_\-]{16,}"),
        detector("openai_api_key", r"\bsk-(?!ant-)(?:proj-|svcacct-|admin-)?[A-Za-z0-9_\-]{20,}"),
        detector("github_fine_grained_token", r"\bgithub_pat_[A-Za-z0-9_]{22,}"),
        detector("github_token", r"\bgh[pousr]_[A-Za-z0-9]{30,}"),
        detector("google_api_key", r"\bAIza[0-9A-Za-z_\-]{35}"),
        detector("stripe_key", r"\b(?:sk|rk)_live_[0-9A-Za-z]{24,}"),
        detector("bearer_token", r"(?i)\bbearer\s+([A-Za-z0-9\-._~+/]{16,}=*)"),
    ]


@lru_cache(maxsize=1)
def _detectors() -> list[tuple[str, Any, dict | None]]:
    """(kind, detector, keyword regexes) in priority order: specific shapes first, keywords last."""
    from detect_secrets.core.plugins.util import get_mapping_from_secret_type_to_class
    from detect_secrets.plugins.keyword import CONFIG_DENYLIST_REGEX_TO_GROUP, KeywordDetector

    skip = {"Public IP (ipv4)", "Secret Keyword", "Base64 High Entropy String", "Hex High Entropy String"}
    found = [(d.secret_type, d, None) for d in _extra_detectors()]
    for secret_type, cls in sorted(get_mapping_from_secret_type_to_class().items()):
        if secret_type not in skip:
            found.append((KIND_NAMES.get(secret_type) or _slug(secret_type), cls(), None))
    found.append(("password", KeywordDetector(), CONFIG_DENYLIST_REGEX_TO_GROUP))  # `password = x`, `token: x`
    return found


def _slug(name: str) -> str:
    return re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")


def _spans(line: str, value: str) -> Iterable[tuple[int, int]]:
    """Where `value` occurs in `line`, each extended over the rest of its token (a value cut short)."""
    extend = value[-1:].isalnum() or value[-1:] in "._-"
    start = line.find(value)
    while start >= 0 and value:
        end = start + len(value)
        if extend:
            end = _TOKEN_TAIL.match(line, end).end()
        yield start, end
        start = line.find(value, end)


def _scan_line(line: str) -> list[tuple[str, int, int]]:
    hits: list[tuple[str, int, int]] = []
    if not _MAYBE.search(line):
        return hits
    for kind, detector, groups in _detectors():
        values = detector.analyze_string(line, groups) if groups is not None else detector.analyze_string(line)
        for value in values:
            if PLACEHOLDER.fullmatch(value) or len(value) < 6:
                continue
            for start, end in _spans(line, value):
                if not any(s < end and start < e for _, s, e in hits):  # the more specific kind wins
                    hits.append((kind, start, end))
    return hits


@lru_cache(maxsize=65_536)
def _scan(text: str) -> tuple[Finding, ...]:
    findings = [Finding("private_key", m.start(), m.end(), m.group()) for m in _PEM.finditer(text)]
    offset = 0
    for line in text.splitlines(keepends=True):
        for kind, start, end in _scan_line(line):
            s, e = offset + start, offset + end
            if not any(f.start < e and s < f.end for f in findings) and not PLACEHOLDER.search(text[s:e]):
                findings.append(Finding(kind, s, e, text[s:e]))
        offset += len(line)
    return tuple(sorted(findings, key=lambda f: f.start))


def scan(text: str) -> list[Finding]:
    """Every secret value in `text`, in order (overlaps resolved to the more specific kind)."""
    return list(_scan(text)) if text else []


def placeholder(finding: Finding) -> str:
    return f"[REDACTED {finding.kind} {sha256(finding.value)[:12]}]"


@lru_cache(maxsize=65_536)
def redact(text: str) -> str:
    """`text` with every secret value replaced by its placeholder."""
    out, cursor = [], 0
    for finding in scan(text):
        out += [text[cursor:finding.start], placeholder(finding)]
        cursor = finding.end
    return "".join(out) + text[cursor:] if out else text


def redact_data(data: Any) -> Any:
    """JSON data with every string (keys too) redacted."""
    if isinstance(data, str):
        return redact(data)
    if isinstance(data, dict):
        return {redact(k) if isinstance(k, str) else k: redact_data(v) for k, v in data.items()}
    if isinstance(data, (list, tuple)):
        return [redact_data(v) for v in data]
    return data


def json_text(data: Any, *, keep_secrets: bool = False) -> str:
    """Indented UTF-8 JSON text of an output file (plan.json, analysis.json), secret values redacted
    unless `keep_secrets`."""
    import json

    return json.dumps(data if keep_secrets else redact_data(data), indent=2, ensure_ascii=False, default=str) + "\n"


def find_secrets(store: Any) -> list[dict[str, Any]]:
    """Secrets in a store's memories: path (redacted), line (0 for the path itself) and kind, never the value."""
    found = []
    for memory in store.memories:
        path = redact(memory.path)
        for kind in dict.fromkeys(f.kind for f in scan(memory.path)):
            found.append({"path": path, "line": 0, "kind": kind})
        seen = set()
        for finding in scan(memory.content):
            line = memory.content.count("\n", 0, finding.start) + 1
            if (line, finding.kind) not in seen:
                seen.add((line, finding.kind))
                found.append({"path": path, "line": line, "kind": finding.kind})
    return found


def restorer(texts: Iterable[str]) -> Callable[[str], str]:
    """A function that puts back, in any text, the values of placeholders for secrets found in `texts`."""
    values = {placeholder(f): f.value for text in texts for f in scan(text)}

    def restore(text: str) -> str:
        if not values or "[REDACTED " not in text:
            return text
        return PLACEHOLDER.sub(lambda m: values.get(m.group(0), m.group(0)), text)

    return restore
