#!/usr/bin/env python3
"""Generate the Dream Workbench sample data (memory stores, sessions, ground-truth labels).

Run from anywhere:  python sample-data/generate.py

Standard library only, fully deterministic: every id is derived from a SHA-256 of a fixed
string, every time is computed from fixed dates, and JSON is written with a fixed layout, so
running the script twice gives byte-identical files. The content below is hand-written; the
script only assembles it, derives ids, times and hashes, checks the planted problems against
the labels, and writes:

    sample-data/coding-assistant/store.json
    sample-data/coding-assistant/sessions/<nn>-<slug>.json
    sample-data/legal-research/store.json
    sample-data/legal-research/sessions/<nn>-<slug>.json
    sample-data/labels.json

Any broken invariant (a label pointing nowhere, a quote not found in its turn, a missing fact
that is in fact already in the store, ...) stops the script with an AssertionError.
"""

from __future__ import annotations

import hashlib
import json
import sys
import textwrap
from datetime import datetime, timedelta, timezone
from pathlib import Path

HERE = Path(__file__).resolve().parent

B62 = "0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz"
LABELS = ("keep", "duplicate", "conflict_old", "conflict_new", "stale", "low_value")


def make_id(prefix: str, *parts: str) -> str:
    """`<prefix>_01` + 22 base62 characters of SHA-256(parts): 24 characters after the prefix."""
    n = int.from_bytes(hashlib.sha256("\x1f".join(parts).encode("utf-8")).digest(), "big")
    chars = []
    for _ in range(22):
        n, r = divmod(n, 62)
        chars.append(B62[r])
    return f"{prefix}_01{''.join(chars)}"


def sha256_hex(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def parse_ts(text: str) -> datetime:
    return datetime.strptime(text, "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=timezone.utc)


def fmt_ts(dt: datetime) -> str:
    return dt.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def small_hash(*parts: str) -> int:
    return int(sha256_hex("\x1f".join(parts))[:8], 16)


# --- the little language the content is written in ---------------------------------------------
#
# A session is S(number, slug, start time, title, [items]); an item is
#   U(text, *tags)   a user.message (tags name the planted facts this turn is evidence for)
#   A(text)          an agent.message
#   T(tool, input, output, err=False)   an agent.tool_use followed by its agent.tool_result
#   Out("""...""")   tool output written as an indented block (dedented, outer newlines dropped)
#
# A memory document is D(path, title, created=<session number>, updated=<session number>,
# notes=[(name, label, text), ...], versions=[(<session number>, [note names]), ...]).
# A document is written one to three minutes after the end of the session it names; `versions`
# lists older states of the document (which of today's notes it held then).


def Out(text: str) -> str:
    """Tool output written as an indented triple-quoted block."""
    return textwrap.dedent(text).strip("\n")


def U(text: str, *tags: str) -> dict:
    return {"kind": "user", "text": text, "tags": tags}


def A(text: str) -> dict:
    return {"kind": "agent", "text": text}


def T(name: str, tool_input: dict, output: str, err: bool = False) -> dict:
    return {"kind": "tool", "name": name, "input": tool_input, "output": output, "is_error": err}


def S(num: str, slug: str, start: str, title: str, items: list) -> dict:
    return {"num": num, "slug": slug, "start": start, "title": title, "items": items}


def D(path: str, title: str, created: str, updated: str, notes: list, versions: tuple = ()) -> dict:
    return {"path": path, "title": title, "created": created, "updated": updated,
            "notes": notes, "versions": list(versions)}



# =================================================================================================
# Dataset 1: coding-assistant
#
# Priya Raman is a backend engineer at Quillstone (Toronto) working on `ledgerline`, the billing
# service (Python / FastAPI / SQLAlchemy / Alembic / Celery / Postgres). Teammates: Tomás Alvarez
# (tech lead until September), Mei Chen (backend, joined March 2026), Hannah Kowalski (engineering
# manager), Olu Adeyemi (platform/SRE), Jonas Lindqvist (data team). Sessions run 2026-03-02 to
# 2026-09-28.
# =================================================================================================

CODING_STORE = {
    "name": "priya-coding-assistant",
    "description": "What the coding assistant remembers about Priya Raman, the ledgerline billing "
                   "service, her team and her environment.",
    "created_at": "2026-03-02T09:00:00Z",
}

CODING_DOCS = [
    D("/preferences/code-style.md", "Code style", created="01", updated="11", notes=[
        ("typehints", "keep", "Priya wants type hints on every public function."),
        ("ruff-format", "keep", "Python code is formatted with `ruff format`, line length 100."),
        ("no-tabs-python", "keep", "Python files never use tabs; indentation is 4 spaces, enforced by `ruff format`."),
        ("pathlib", "keep", "Prefer `pathlib.Path` over `os.path` in new code."),
        ("docstrings", "keep", "Docstrings use Google style with an `Args:` section."),
        ("no-one-letter", "keep", "Priya dislikes one-letter variable names outside comprehensions."),
    ], versions=[("01", ["typehints", "ruff-format"]), ("06", ["typehints", "ruff-format", "no-tabs-python"])]),

    D("/preferences/communication.md", "Communication", created="01", updated="09", notes=[
        ("concise", "keep", "Be concise with Priya: skip the preamble and get to the point."),
        ("diff-first", "keep", "Show the diff or the command first, then a short explanation."),
        ("limerick", "low_value", "Priya once asked for a limerick about Kubernetes."),
        ("toronto-et", "keep", "Priya works from Toronto; give times in Eastern Time, not UTC."),
    ], versions=[("01", ["diff-first"]), ("04", ["diff-first", "toronto-et"])]),

    D("/preferences/review-checklist.md", "Review checklist", created="05", updated="10", notes=[
        ("typehints-dup", "duplicate", "Priya wants type hints on every public function."),
        ("migration-test", "keep", "Every new Alembic migration needs a matching test in `tests/migrations/`."),
        ("no-float-money", "duplicate", "Never use float for currency amounts; ledgerline stores amounts as integer cents (`amount_cents`)."),
        ("response-model", "keep", "Flag any new endpoint that has no `response_model` in its route decorator."),
        ("nit-prefix", "keep", "Non-blocking review comments start with \"nit:\"."),
    ]),

    D("/preferences/working-style.md", "Working style", created="03", updated="10", notes=[
        ("brief-dup", "duplicate", "Keep explanations brief; Priya dislikes long intros."),
        ("test-before-push", "keep", "Priya runs `make test` before every push."),
        ("sprint-focus", "stale", "For this sprint (ends March 27), Priya is focused only on the dunning-emails epic."),
        ("small-prs", "keep", "Priya likes small PRs, roughly under 400 changed lines."),
        ("conv-commits-dup2", "duplicate", "Priya writes commit messages in Conventional Commits style, e.g. `fix(invoices): round tax per line`."),
    ]),

    D("/project/ledgerline/overview.md", "ledgerline overview", created="01", updated="02", notes=[
        ("what-is", "keep", "ledgerline is Quillstone's billing service: invoices, payments, dunning and Stripe sync."),
        ("repo", "keep", "The repository is `quillstone/ledgerline` on GitHub; tickets use the `LL-` prefix in Jira."),
        ("python-311", "conflict_old", "ledgerline runs on Python 3.11; avoid 3.12-only syntax."),
        ("stack", "keep", "The API is FastAPI with SQLAlchemy 2.0 (async) and Pydantic v2."),
    ]),

    D("/project/ledgerline/architecture.md", "ledgerline architecture", created="01", updated="07", notes=[
        ("migrations-dir", "keep", "Alembic migrations live in `ledgerline/db/migrations/versions/`."),
        ("webhooks-path", "keep", "Stripe webhooks are handled in `ledgerline/webhooks/stripe.py`."),
        ("celery-redis", "keep", "Background jobs run on Celery with Redis as the broker."),
        ("pg14", "conflict_old", "Production runs Postgres 14 on RDS."),
        ("money-cents", "keep", "Money is stored as integer cents, never floats."),
        ("weasyprint", "keep", "Invoice PDFs are rendered with WeasyPrint in the `generate_invoice_pdf` Celery task."),
    ], versions=[("01", ["migrations-dir", "webhooks-path", "celery-redis", "money-cents"])]),

    D("/project/ledgerline/database.md", "Database", created="05", updated="28", notes=[
        ("migrations-dir-dup", "duplicate", "Alembic migrations live in `ledgerline/db/migrations/versions/`."),
        ("no-downgrade", "keep", "Never run `alembic downgrade` against production; write a forward fix migration instead."),
        ("backfill-wait", "stale", "Until the `invoice_items` backfill finishes (target April 10), don't add a NOT NULL constraint to `invoice_items.tax_code`."),
        ("pg16", "conflict_new", "Production Postgres was upgraded from 14 to 16 on June 3 (RDS blue/green)."),
        ("primary-host", "keep", "Writes go to the primary, `ledgerline-primary.prod.internal`."),
        ("replica-host", "keep", "Reporting queries must use the read replica, `ledgerline-replica.prod.internal`."),
    ], versions=[("05", ["migrations-dir-dup", "backfill-wait"]),
                 ("15", ["migrations-dir-dup", "no-downgrade", "backfill-wait"])]),

    D("/project/ledgerline/ci.md", "CI", created="06", updated="17", notes=[
        ("ci-jenkins", "conflict_old", "CI runs on Jenkins at `jenkins.quillstone.internal`, job `ledgerline-main`."),
        ("ci-stages", "keep", "The CI pipeline runs lint, then unit tests, then integration tests."),
        ("coverage-gate", "keep", "Coverage must stay at or above 85% or the build fails."),
    ]),

    D("/project/ledgerline/git.md", "Git workflow", created="03", updated="10", notes=[
        ("branch-master", "conflict_old", "The default branch is `master`."),
        ("conv-commits", "keep", "Commit messages follow Conventional Commits (`feat:`, `fix:`, `chore:`)."),
        ("branch-names", "keep", "Feature branches are named `<type>/<ticket>-<slug>`, e.g. `feat/LL-402-final-notice`."),
    ]),

    D("/project/ledgerline/testing.md", "Testing", created="02", updated="20", notes=[
        ("make-test", "keep", "`make test` runs only the unit tests (`pytest -m \"not integration\"`)."),
        ("make-test-integration", "keep", "`make test-integration` runs the integration tests; they need the docker-compose Postgres running."),
        ("test-before-push-dup", "duplicate", "Always run the unit tests (`make test`) before pushing."),
        ("factories", "keep", "Test factories live in `tests/factories.py` and use factory_boy."),
        ("pytest-cache", "stale", "On 2026-03-18 `test_webhook_retry` failed only because of a stale `.pytest_cache`; deleting it fixed it."),
    ], versions=[("02", ["make-test", "make-test-integration"]),
                 ("08", ["make-test", "make-test-integration", "test-before-push-dup", "pytest-cache"])]),

    D("/project/ledgerline/deploys.md", "Deploys", created="15", updated="31", notes=[
        ("deploy-days", "conflict_old", "Production deploys happen on Tuesdays and Thursdays only."),
        ("argocd", "keep", "Deploys go out through Argo CD; the production app is `ledgerline-prod`."),
        ("no-downgrade-dup", "duplicate", "Never run `alembic downgrade` against production; write a forward fix migration instead."),
        ("migrate-hook", "keep", "Migrations run as a pre-deploy Argo CD hook job, `ledgerline-migrate`."),
        ("ci-gha", "conflict_new", "CI moved from Jenkins to GitHub Actions on May 5 (`.github/workflows/ci.yml`); Jenkins is retired."),
        ("branch-main", "conflict_new", "The default branch was renamed from `master` to `main` on May 12; Argo CD tracks `main`."),
    ], versions=[("15", ["deploy-days", "argocd", "no-downgrade-dup", "migrate-hook"])]),

    D("/project/ledgerline/environments.md", "Environments", created="01", updated="14", notes=[
        ("staging-host", "conflict_old", "The staging database host is `staging-db.internal` (port 5432, VPN required)."),
        ("local-db", "keep", "Local Postgres runs via `docker compose up -d db` on port 5433."),
        ("staging-url", "keep", "The staging API is at `https://api.staging.ledgerline.quillstone.dev`."),
        ("no-env-commit", "keep", "Secrets come from AWS Secrets Manager via `ledgerline/settings.py`; never commit `.env` files."),
    ]),

    D("/project/ledgerline/celery.md", "Celery tasks", created="09", updated="11", notes=[
        ("stripe-sync-limit", "keep", "`sync_stripe_events` has a 30-second soft time limit."),
        ("pdf-limit", "keep", "`generate_invoice_pdf` has a 120-second soft time limit (150 s hard)."),
        ("celery-idempotent", "keep", "Celery tasks must be idempotent and take IDs as arguments, never ORM objects."),
    ]),

    D("/project/ledgerline/integrations.md", "Integrations", created="14", updated="33", notes=[
        ("webhooks-path-dup", "duplicate", "Stripe webhooks are handled in `ledgerline/webhooks/stripe.py`."),
        ("stripe-version", "keep", "The Stripe API version is pinned in `settings.STRIPE_API_VERSION`; it was bumped to `2026-06-30` in July."),
        ("webhook-400", "keep", "A webhook 400 with `SignatureVerificationError` usually means `STRIPE_WEBHOOK_SECRET` belongs to the wrong environment."),
    ], versions=[("14", ["webhooks-path-dup", "webhook-400"])]),

    D("/project/ledgerline/observability.md", "Observability", created="15", updated="29", notes=[
        ("sentry-api", "keep", "The Sentry project for the API is `ledgerline-api`."),
        ("sentry-worker", "keep", "The Sentry project for the Celery workers is `ledgerline-worker`."),
        ("grafana", "keep", "Dashboards are in Grafana under the \"Billing\" folder."),
        ("loki", "keep", "Logs go to Loki; query them with `{app=\"ledgerline\"}`."),
    ]),

    D("/project/ledgerline/rounding.md", "Rounding rules", created="02", updated="25", notes=[
        ("round-half-even", "keep", "Invoice line amounts are rounded half-even (banker's rounding)."),
        ("tax-half-up", "keep", "Tax amounts are rounded half-up per line, not half-even."),
        ("money-helpers", "keep", "Rounding helpers live in `ledgerline/money.py` (`round_cents`, `round_tax_cents`)."),
        ("total-sum-lines", "keep", "An invoice total is the sum of the already-rounded line cents, not the rounded sum of raw amounts."),
    ], versions=[("02", ["round-half-even", "total-sum-lines"])]),

    D("/project/ledgerline/dunning.md", "Dunning", created="12", updated="13", notes=[
        ("dunning-days", "keep", "Dunning emails go out on day 3, 7 and 14 after a failed payment."),
        ("dunning-rebase", "stale", "Don't rebase `feature/dunning-v2` until after Hannah's demo on April 2."),
        ("dunning-templates", "keep", "Dunning email templates live in `ledgerline/templates/dunning/`."),
    ]),

    D("/team/people.md", "People", created="01", updated="32", notes=[
        ("tomas-lead", "conflict_old", "Tomás Alvarez is the tech lead for ledgerline."),
        ("mei", "keep", "Mei Chen is a backend engineer on ledgerline (joined March 2026)."),
        ("hannah-em", "keep", "Hannah Kowalski is the engineering manager for the billing team."),
        ("olu-terraform", "keep", "Olu Adeyemi (platform team) owns the Terraform in `infra/`."),
        ("hannah-oncall", "conflict_new", "Hannah took over the on-call rotation schedule from Olu on July 1."),
    ], versions=[("01", ["tomas-lead", "hannah-em", "olu-terraform"]),
                 ("05", ["tomas-lead", "mei", "hannah-em", "olu-terraform"])]),

    D("/team/process.md", "Team process", created="01", updated="10", notes=[
        ("olu-oncall", "conflict_old", "Olu owns the on-call rotation schedule in PagerDuty."),
        ("one-approval", "keep", "PRs need one approval before merging."),
        ("standup", "keep", "Standup is at 09:45 Eastern, Monday to Thursday."),
        ("tomas-out", "stale", "This week (March 23-27) Tomás is out, so migration reviews go to Mei."),
    ]),

    D("/team/reviews.md", "Code review", created="05", updated="10", notes=[
        ("priya-reviews-mei", "keep", "Priya reviews every Alembic migration that Mei writes."),
        ("mei-reviews-priya", "keep", "Mei reviews every Alembic migration that Priya writes."),
        ("olu-terraform-dup", "duplicate", "Terraform under `infra/` belongs to Olu; changes there need his sign-off."),
    ]),

    D("/environment/tooling.md", "Tooling", created="01", updated="06", notes=[
        ("poetry", "conflict_old", "Priya uses Poetry for dependency management in ledgerline (`poetry install`, `poetry run`)."),
        ("makefile-tabs", "keep", "Makefiles must use tabs for recipe indentation."),
        ("direnv", "keep", "Priya uses `direnv` to load a per-project `.envrc`."),
        ("gh-cli", "keep", "The `gh` CLI is installed and authenticated for the quillstone org."),
    ], versions=[("01", ["poetry", "direnv", "gh-cli"])]),

    D("/environment/editor.md", "Editor", created="01", updated="04", notes=[
        ("vscode", "conflict_old", "Priya uses VS Code with the Pylance and Ruff extensions."),
        ("format-on-save", "keep", "Format-on-save runs Ruff for Python files."),
        ("terminal", "keep", "Priya's terminal is iTerm2 with zsh."),
    ]),

    D("/environment/machine.md", "Machine", created="04", updated="04", notes=[
        ("mac-platform", "keep", "Priya's laptop is an Apple-silicon MacBook Pro; deploy images must be built with `--platform linux/amd64`."),
        ("zombie-uvicorn", "stale", "On March 9 port 8000 was held by a zombie uvicorn process (PID 48213); killing it fixed `make run`."),
        ("local-db-dup", "duplicate", "The local dev database is the docker-compose `db` service, exposed on localhost:5433."),
    ]),

    D("/environment/python.md", "Python environment", created="37", updated="37", notes=[
        ("uv", "conflict_new", "ledgerline no longer uses Poetry; dependencies are managed with uv (`uv sync`, lockfile `uv.lock`)."),
        ("uv-run", "keep", "Run tools through `uv run`, e.g. `uv run pytest`; the Makefile targets already do this."),
    ]),

    D("/debugging/2026-04-incident.md", "Incident 2026-04-09: duplicate invoices", created="15", updated="16", notes=[
        ("incident-cause", "keep", "Root cause: Celery retried `finalize_invoice` after a timeout and created a second invoice because there was no idempotency key."),
        ("incident-fix", "keep", "Fix: `finalize_invoice` takes an idempotency key stored in `invoices.idempotency_key` (unique index)."),
        ("no-downgrade-dup2", "duplicate", "Never run `alembic downgrade` against production; write a forward fix migration instead."),
        ("incident-impact", "keep", "14 customers were double-billed; support issued the refunds."),
    ], versions=[("15", ["incident-cause", "no-downgrade-dup2", "incident-impact"])]),

    D("/debugging/sqlalchemy-pin.md", "SQLAlchemy pin", created="07", updated="07", notes=[
        ("sqla-pin", "stale", "`sqlalchemy` is temporarily pinned to 2.0.28 until 2.0.30 ships the `selectinload` fix (expected mid-April)."),
        ("sqla-symptom", "stale", "The 2.0.29 regression shows up as `MissingGreenlet` errors in `tests/api/test_invoices.py`."),
    ]),

    D("/misc/personal.md", "Personal", created="04", updated="14", notes=[
        ("cat", "low_value", "Priya's cat is named Biscuit and sometimes walks across the keyboard."),
        ("burrito", "low_value", "Priya had a burrito for lunch on March 12 and felt sluggish afterwards."),
        ("rain", "low_value", "It was pouring rain during the April 7 session and Priya's Wi-Fi kept dropping."),
    ], versions=[("04", ["cat"]), ("06", ["cat", "burrito"])]),

    D("/misc/notes.md", "Misc", created="22", updated="24", notes=[
        ("purple-theme", "low_value", "Priya thinks the new GitHub dark theme looks \"too purple\"."),
        ("brief-dup2", "duplicate", "Priya asked for shorter answers without a long preamble."),
        ("conv-commits-dup", "duplicate", "Use conventional commit prefixes like feat/fix/chore in commit messages."),
    ]),
]

CODING_PLANTED = {
    "duplicates": [
        # (members, kind, canonical)
        (["typehints", "typehints-dup"], "verbatim", "typehints"),
        (["migrations-dir", "migrations-dir-dup"], "verbatim", "migrations-dir"),
        (["no-downgrade", "no-downgrade-dup", "no-downgrade-dup2"], "verbatim", "no-downgrade"),
        (["webhooks-path", "webhooks-path-dup"], "verbatim", "webhooks-path"),
        (["test-before-push", "test-before-push-dup"], "paraphrase", "test-before-push"),
        (["conv-commits", "conv-commits-dup", "conv-commits-dup2"], "paraphrase", "conv-commits"),
        (["money-cents", "no-float-money"], "paraphrase", "money-cents"),
        (["olu-terraform", "olu-terraform-dup"], "paraphrase", "olu-terraform"),
        (["concise", "brief-dup", "brief-dup2"], "paraphrase", "concise"),
        (["local-db", "local-db-dup"], "paraphrase", "local-db"),
    ],
    "near_misses": [
        (["make-test", "make-test-integration"], "different value"),
        (["primary-host", "replica-host"], "different value"),
        (["priya-reviews-mei", "mei-reviews-priya"], "role swap"),
        (["makefile-tabs", "no-tabs-python"], "negation in different scope"),
        (["round-half-even", "tax-half-up"], "negation in different scope"),
        (["stripe-sync-limit", "pdf-limit"], "different value"),
        (["sentry-api", "sentry-worker"], "different value"),
    ],
    "conflicts": [
        # kind (a): the store holds both; the newer note sits in a document written later.
        {"old": "ci-jenkins", "new": "ci-gha", "subject": "CI system", "latest_value": "GitHub Actions"},
        {"old": "pg14", "new": "pg16", "subject": "Production Postgres version", "latest_value": "Postgres 16"},
        {"old": "olu-oncall", "new": "hannah-oncall", "subject": "Owner of the on-call rotation schedule",
         "latest_value": "Hannah Kowalski"},
        {"old": "branch-master", "new": "branch-main", "subject": "Default branch", "latest_value": "main"},
        {"old": "poetry", "new": "uv", "subject": "Dependency manager for ledgerline", "latest_value": "uv"},
        # kind (b): only the old value is stored; a later session states the new one.
        {"old": "staging-host", "evidence": "B-staging",
         "quote": "we moved the staging DB to staging-db-2.internal last week",
         "subject": "Staging database host", "latest_value": "staging-db-2.internal"},
        {"old": "vscode", "evidence": "B-editor", "quote": "I switched to Neovim last month",
         "subject": "Priya's editor", "latest_value": "Neovim"},
        {"old": "deploy-days", "evidence": "B-deploys",
         "quote": "merges to main now deploy to production automatically once the canary passes",
         "subject": "Production deploy cadence",
         "latest_value": "Continuous: every merge to main deploys to production after the canary passes"},
        {"old": "python-311", "evidence": "B-python", "quote": "We bumped ledgerline to Python 3.12",
         "subject": "ledgerline Python version", "latest_value": "Python 3.12"},
        {"old": "tomas-lead", "evidence": "B-lead", "quote": "Mei is tech lead for ledgerline now",
         "subject": "ledgerline tech lead", "latest_value": "Mei Chen"},
    ],
    "stale": [
        ("sprint-focus", "temporary"),
        ("backfill-wait", "temporary"),
        ("dunning-rebase", "temporary"),
        ("tomas-out", "temporary"),
        ("sqla-pin", "temporary"),
        ("sqla-symptom", "one_off"),
        ("pytest-cache", "one_off"),
        ("zombie-uvicorn", "one_off"),
    ],
    "missing_facts": [
        {"tag": "M-structlog", "fact": "Never add print() calls; log with the structlog logger "
                                       "(`log = structlog.get_logger(__name__)`).",
         "keywords": ["structlog", "print"], "best_path": "/preferences/code-style.md"},
        {"tag": "M-lint", "fact": "Always run `make lint` before committing.",
         "keywords": ["make lint", "commit"], "best_path": "/preferences/working-style.md"},
        {"tag": "M-flaky", "fact": "`test_invoice_rounding` is a known flaky test in CI; it has failed "
                                   "intermittently several times, so rerun it before assuming a real regression.",
         "keywords": ["test_invoice_rounding", "flaky"], "best_path": "/project/ledgerline/testing.md"},
        {"tag": "M-squash", "fact": "Priya merges PRs with squash merges only (one commit per PR).",
         "keywords": ["squash"], "best_path": "/project/ledgerline/git.md"},
        {"tag": "M-timemachine", "fact": "Freeze time in tests with time-machine, not freezegun "
                                         "(freezegun is being removed).",
         "keywords": ["time-machine", "freezegun"], "best_path": "/project/ledgerline/testing.md"},
        {"tag": "M-unleash", "fact": "New behaviour ships dark behind a feature flag in Unleash.",
         "keywords": ["Unleash", "flag"], "best_path": "/project/ledgerline/deploys.md"},
        {"tag": "M-lease", "fact": "Never use plain `git push --force`; use `--force-with-lease`.",
         "keywords": ["force-with-lease"], "best_path": "/project/ledgerline/git.md"},
        {"tag": "M-jonas", "fact": "Jonas Lindqvist's data team reads `ledger_events` directly, so any "
                                   "schema change there needs a heads-up to Jonas in #data-eng first.",
         "keywords": ["ledger_events", "Jonas"], "best_path": "/team/people.md"},
    ],
    # Old notes (documents last written in March) that recent sessions still rely on: a dream
    # must not prune them for age.
    "old_but_supported": [
        {"note": "typehints", "tag": "K-typehints", "keywords": ["type hints"]},
        {"note": "makefile-tabs", "tag": "K-tabs", "keywords": ["Makefile", "tabs"]},
        {"note": "money-cents", "tag": "K-cents", "keywords": ["integer cents"]},
        {"note": "celery-idempotent", "tag": "K-idempotent", "keywords": ["idempotent"]},
        {"note": "no-env-commit", "tag": "K-env", "keywords": [".env"]},
    ],
}


CODING_SESSIONS = [
    S("01", "setup-dev-env", "2026-03-02T09:14:00Z", "Set up the ledgerline dev environment", [
        U("Morning! First real day on ledgerline after the reorg. Can you help me get the dev environment "
          "running? The repo is cloned at ~/code/ledgerline."),
        A("Sure. I'll start with the README and the Makefile to see the intended setup."),
        T("read", {"file_path": "README.md"}, Out("""
            # ledgerline

            Billing service for Quillstone: invoices, payments, dunning, Stripe sync.

            ## Local setup

            1. `poetry install`
            2. `docker compose up -d db redis`
            3. `make migrate`
            4. `make run`

            The API listens on http://localhost:8000. Local Postgres is published on port 5433 so it
            does not clash with a Postgres you may already run on 5432.
        """)),
        T("bash", {"command": "poetry install"}, Out("""
            Installing dependencies from lock file

            Package operations: 84 installs, 0 updates, 0 removals

              • Installing idna (3.6)
              • Installing anyio (4.3.0)
              • Installing pydantic-core (2.16.3)
              • Installing sqlalchemy (2.0.28)
              • Installing fastapi (0.110.0)
              • Installing celery (5.3.6)
              • Installing weasyprint (61.2)

            Installing the current project: ledgerline (0.41.0)
        """)),
        T("bash", {"command": "docker compose up -d db redis && make migrate"}, Out("""
            [+] Running 3/3
             ✔ Network ledgerline_default    Created
             ✔ Container ledgerline-db-1     Started
             ✔ Container ledgerline-redis-1  Started
            poetry run alembic upgrade head
            INFO  [alembic.runtime.migration] Context impl PostgresqlImpl.
            INFO  [alembic.runtime.migration] Will assume transactional DDL.
            INFO  [alembic.runtime.migration] Running upgrade  -> 0001_initial, initial schema
            INFO  [alembic.runtime.migration] Running upgrade 0001_initial -> 0002_customers, customers table
            ...
            INFO  [alembic.runtime.migration] Running upgrade 0046_dunning_attempts -> 0047_invoice_items_tax_code, add tax_code to invoice_items
        """)),
        A("Migrations are at head (0047). The database is the `db` compose service on localhost:5433. "
          "Want me to start the API?"),
        U("Yes please. FYI I use VS Code with Pylance and the Ruff extension, so if you ever suggest editor "
          "settings, target that. And ledgerline is on Python 3.11, so no 3.12-only syntax."),
        A("Noted: VS Code + Pylance + Ruff, and Python 3.11, so no `type` aliases or PEP 695 generics."),
        T("bash", {"command": "make run"}, Out("""
            poetry run uvicorn ledgerline.api.main:app --reload --port 8000
            INFO:     Will watch for changes in these directories: ['/Users/priya/code/ledgerline']
            INFO:     Uvicorn running on http://127.0.0.1:8000 (Press CTRL+C to quit)
            INFO:     Started reloader process [40122] using WatchFiles
            INFO:     Started server process [40131]
            INFO:     Application startup complete.
        """)),
        U("Nice. How do I get at staging? I need to compare an invoice against what prod generated."),
        T("read", {"file_path": "docs/environments.md"}, Out("""
            ## Staging

            - API: https://api.staging.ledgerline.quillstone.dev
            - Database: staging-db.internal:5432 (VPN required, read-only role `ll_readonly`)
            - Secrets: AWS Secrets Manager, `ledgerline/staging/*`, loaded by ledgerline/settings.py

            Never put staging or production credentials in a `.env` file.
        """)),
        A("Staging API: https://api.staging.ledgerline.quillstone.dev. Staging DB: `staging-db.internal:5432` "
          "over the VPN with the `ll_readonly` role. Credentials come from Secrets Manager via "
          "`ledgerline/settings.py`."),
        U("Right. And please never suggest committing a .env file, we got burned by that last year. "
          "That's enough for today, thanks."),
        A("Understood: secrets stay in Secrets Manager or your direnv `.envrc`, never in a committed `.env`."),
    ]),

    S("02", "fix-invoice-rounding-flake", "2026-03-03T10:20:00Z", "Fix flaky invoice rounding test", [
        U("Jenkins went red on my branch: test_invoice_rounding failed but it passes locally. I think it's "
          "flaky. Can you take a look?", "M-flaky"),
        A("I'll run it in a loop locally to see if it reproduces."),
        T("bash", {"command": "poetry run pytest tests/unit/billing/test_invoices.py -k test_invoice_rounding --count=50 -q"}, Out("""
            ..........F.......................F...............
            =================================== FAILURES ===================================
            ________________________ test_invoice_rounding[34-50] __________________________

                def test_invoice_rounding(invoice_factory):
                    invoice = invoice_factory(lines=3)
            >       assert invoice.total_cents == sum(line.amount_cents for line in invoice.lines)
            E       assert 30001 == 30000
            E        +  where 30001 = <Invoice id=None lines=3>.total_cents

            tests/unit/billing/test_invoices.py:88: AssertionError
            =========================== short test summary info ============================
            FAILED tests/unit/billing/test_invoices.py::test_invoice_rounding[34-50] - assert 30001 == 30000
            2 failed, 48 passed in 3.41s
        """), err=True),
        A("Reproduced: 2 of 50. The factory draws random `Decimal` amounts; when several lines end in a half "
          "cent, the total is off by one. Let me check how the total is computed."),
        T("read", {"file_path": "ledgerline/money.py"}, Out("""
            from decimal import ROUND_HALF_EVEN, Decimal


            def round_cents(amount: Decimal) -> int:
                \"\"\"Round an amount in major units to integer cents (banker's rounding).\"\"\"
                return int((amount * 100).quantize(Decimal("1"), rounding=ROUND_HALF_EVEN))
        """)),
        T("grep", {"pattern": "def total_cents", "path": "ledgerline/billing/", "context": 2}, Out("""
            ledgerline/billing/invoices.py-61-    @property
            ledgerline/billing/invoices.py:62:    def total_cents(self) -> int:
            ledgerline/billing/invoices.py-63-        return round_cents(sum(line.amount for line in self.lines))
        """)),
        A("`total_cents` rounds the sum of the raw amounts, while each line is rounded on its own. The test "
          "is right; the model is wrong."),
        U("Yes, line amounts are half-even on purpose, that's the accounting rule, keep that. The total has to "
          "add up to the line cents the customer sees on the PDF."),
        T("edit", {"file_path": "ledgerline/billing/invoices.py",
                   "old_string": "        return round_cents(sum(line.amount for line in self.lines))",
                   "new_string": "        return sum(line.amount_cents for line in self.lines)"},
          "The file ledgerline/billing/invoices.py has been updated."),
        T("bash", {"command": "poetry run pytest tests/unit/billing/test_invoices.py -k test_invoice_rounding --count=200 -q"}, Out("""
            ........................................................................ [ 36%]
            ........................................................................ [ 72%]
            ........................................................                 [100%]
            200 passed in 11.87s
        """)),
        U("Perfect. Push it, I'll open the PR."),
        T("bash", {"command": "git commit -am 'fix(invoices): total is the sum of rounded line cents' && git push -u origin fix/LL-388-invoice-total"}, Out("""
            [fix/LL-388-invoice-total 5be1c07] fix(invoices): total is the sum of rounded line cents
             1 file changed, 1 insertion(+), 1 deletion(-)
            remote:
            remote: Create a pull request for 'fix/LL-388-invoice-total' on GitHub by visiting:
            remote:      https://github.com/quillstone/ledgerline/pull/new/fix/LL-388-invoice-total
            To github.com:quillstone/ledgerline.git
             * [new branch]      fix/LL-388-invoice-total -> fix/LL-388-invoice-total
        """)),
    ]),

    S("03", "dunning-email-scheduler", "2026-03-05T14:05:00Z", "Add the dunning email scheduler", [
        U("For this sprint (until March 27) I'm only on the dunning-emails epic, so let's start LL-398: "
          "schedule reminder emails after a failed payment, on day 3, 7 and 14."),
        T("read", {"file_path": "ledgerline/billing/dunning.py"}, Out("""
            import structlog

            from ledgerline.db.models import Invoice, PaymentAttempt

            log = structlog.get_logger(__name__)

            DUNNING_DAYS: tuple[int, ...] = ()


            def schedule_dunning(invoice: Invoice, failed: PaymentAttempt) -> None:
                raise NotImplementedError
        """)),
        T("edit", {"file_path": "ledgerline/billing/dunning.py",
                   "old_string": "DUNNING_DAYS: tuple[int, ...] = ()\n\n\ndef schedule_dunning(invoice: Invoice, failed: PaymentAttempt) -> None:\n    raise NotImplementedError",
                   "new_string": "DUNNING_DAYS: tuple[int, ...] = (3, 7, 14)\n\n\ndef schedule_dunning(invoice: Invoice, failed: PaymentAttempt) -> None:\n    print(f\"scheduling dunning for {invoice.id}\")\n    for day in DUNNING_DAYS:\n        send_dunning_email.apply_async((invoice.id, day), eta=failed.failed_at + timedelta(days=day))"},
          "The file ledgerline/billing/dunning.py has been updated."),
        T("bash", {"command": "poetry run pytest tests/unit/billing/test_dunning.py -q -s"}, Out("""
            scheduling dunning for 7f3c2a10-5d1e-4c57-9a0b-3e8f1c2d4b61
            scheduling dunning for 0b9e6d44-2a7f-4f1a-8c3d-5a6b7c8d9e01
            ..
            2 passed in 0.42s
        """)),
        A("Scheduling works: three `send_dunning_email` tasks per failed payment, with ETAs at day 3, 7 and 14."),
        U("Please don't add print statements, use the structlog logger. `log = structlog.get_logger(__name__)` "
          "is already at the top of that module.", "M-structlog"),
        A("Sorry about that. Replacing it with a structured log event."),
        T("edit", {"file_path": "ledgerline/billing/dunning.py",
                   "old_string": "    print(f\"scheduling dunning for {invoice.id}\")",
                   "new_string": "    log.info(\"dunning.scheduled\", invoice_id=str(invoice.id), days=DUNNING_DAYS)"},
          "The file ledgerline/billing/dunning.py has been updated."),
        T("bash", {"command": "poetry run pytest tests/unit/billing/test_dunning.py -q"}, Out("""
            ..
            2 passed in 0.39s
        """)),
        U("Commit it."),
        T("bash", {"command": "git add -A && git commit -m 'feat(dunning): schedule reminder emails on day 3, 7 and 14'"}, Out("""
            [feat/LL-398-dunning-schedule 9a41d2e] feat(dunning): schedule reminder emails on day 3, 7 and 14
             2 files changed, 31 insertions(+), 2 deletions(-)
        """)),
        U("Good message, keep writing them in that conventional-commits style. feat/fix/chore with a scope."),
        A("Will do."),
    ]),

    S("04", "uvicorn-port-in-use", "2026-03-09T09:30:00Z", "make run: address already in use", [
        U("Monday. make run fails with 'address already in use'. Biscuit (my cat) walked all over the keyboard "
          "on Friday, so I probably left something running."),
        T("bash", {"command": "make run"}, Out("""
            poetry run uvicorn ledgerline.api.main:app --reload --port 8000
            ERROR:    [Errno 48] Address already in use
            make: *** [run] Error 1
        """), err=True),
        T("bash", {"command": "lsof -nP -iTCP:8000 -sTCP:LISTEN"}, Out("""
            COMMAND     PID  USER   FD   TYPE             DEVICE SIZE/OFF NODE NAME
            python3.1 48213 priya    6u  IPv4 0x5c1f8a2e9b7d4c11      0t0  TCP 127.0.0.1:8000 (LISTEN)
        """)),
        A("PID 48213 is an orphaned uvicorn worker from an earlier `make run`. Kill it?"),
        U("yes"),
        T("bash", {"command": "kill 48213 && sleep 1 && make run"}, Out("""
            poetry run uvicorn ledgerline.api.main:app --reload --port 8000
            INFO:     Uvicorn running on http://127.0.0.1:8000 (Press CTRL+C to quit)
            INFO:     Application startup complete.
        """)),
        U("Thanks. Also, whenever you give me times, I'm in Toronto, so use Eastern time, not UTC."),
        A("Will do."),
        U("While we're here: the Ruff extension isn't formatting on save in VS Code. Can you check the workspace settings?"),
        T("read", {"file_path": ".vscode/settings.json"}, Out("""
            {
              "python.analysis.typeCheckingMode": "basic",
              "editor.rulers": [100]
            }
        """)),
        T("edit", {"file_path": ".vscode/settings.json",
                   "old_string": "  \"editor.rulers\": [100]\n}",
                   "new_string": "  \"editor.rulers\": [100],\n  \"[python]\": {\n    \"editor.formatOnSave\": true,\n    \"editor.defaultFormatter\": \"charliermarsh.ruff\"\n  }\n}"},
          "The file .vscode/settings.json has been updated."),
        A("Python files now format on save with Ruff."),
        U("One more thing I keep forgetting: I'm on an M3 MacBook, so images I build for deploys need "
          "--platform linux/amd64 or the pods crash with exec format error."),
        A("Noted. For deploy images: `docker build --platform linux/amd64 ...`."),
    ]),

    S("05", "review-tax-code-migration", "2026-03-11T15:10:00Z", "Review Mei's tax_code migration (PR #512)", [
        U("Mei opened PR #512, it adds NOT NULL on invoice_items.tax_code. Can you review it with me? Context: "
          "we cross-review migrations. I review every Alembic migration Mei writes, and she reviews mine."),
        T("bash", {"command": "gh pr diff 512"}, Out("""
            diff --git a/migrations/versions/0048_tax_code_not_null.py b/migrations/versions/0048_tax_code_not_null.py
            new file mode 100644
            --- /dev/null
            +++ b/migrations/versions/0048_tax_code_not_null.py
            @@ -0,0 +1,17 @@
            +\"\"\"make invoice_items.tax_code not null\"\"\"
            +from alembic import op
            +
            +revision = "0048_tax_code_not_null"
            +down_revision = "0047_invoice_items_tax_code"
            +
            +
            +def upgrade():
            +    op.alter_column("invoice_items", "tax_code", nullable=False)
            +
            +
            +def downgrade():
            +    op.alter_column("invoice_items", "tax_code", nullable=True)
        """)),
        T("bash", {"command": "psql \"$LEDGERLINE_STAGING_RO_URL\" -Atc \"select count(*) from invoice_items where tax_code is null\""},
          "1218804"),
        A("Two problems: 1.2M rows on staging still have a NULL `tax_code`, so the `ALTER` would fail; and the "
          "file is in `migrations/versions/` at the repo root, not `ledgerline/db/migrations/versions/`."),
        U("Right, the backfill (LL-405) is still running, target is April 10. Until then, no NOT NULL on tax_code. "
          "And yes, the root migrations/ folder is the old dead one, the real ones live in "
          "ledgerline/db/migrations/versions/. Draft the review please."),
        A("Draft:\n\n**Blocking:** `invoice_items.tax_code` still has ~1.2M NULLs; the backfill (LL-405) finishes "
          "around April 10. Let's land the NOT NULL after that.\n\n**Blocking:** please move the file to "
          "`ledgerline/db/migrations/versions/`; the root `migrations/` folder isn't on Alembic's path.\n\n"
          "nit: missing type hints on `upgrade`/`downgrade`."),
        U("Good. Also every migration needs a test in tests/migrations/, add that to the comment. It's on my "
          "checklist for every migration."),
        T("write", {"file_path": "/tmp/review-512.md", "content": "**Blocking:** `invoice_items.tax_code` still has ~1.2M NULLs ...\n\n**Blocking:** please move the file to `ledgerline/db/migrations/versions/` ...\n\n**Needed:** a test in `tests/migrations/` (see `test_0046_dunning_attempts.py` for the pattern).\n\nnit: missing type hints on `upgrade`/`downgrade`.\n"},
          "File created successfully at: /tmp/review-512.md"),
        T("bash", {"command": "gh pr review 512 --request-changes --body-file /tmp/review-512.md"},
          "✓ Requested changes to pull request quillstone/ledgerline#512"),
        U("Thanks. She's new (joined last week), so I'm being extra thorough."),
        A("Makes sense. The comment explains why each item matters, which should help."),
    ]),

    S("06", "jenkins-lint-failure", "2026-03-12T13:40:00Z", "Jenkins build failing on ruff", [
        U("Back from lunch (had a massive burrito, send help). Jenkins build #2231 on ledgerline-main is red "
          "in the lint stage."),
        T("bash", {"command": "curl -s -u priya:$JENKINS_TOKEN https://jenkins.quillstone.internal/job/ledgerline-main/2231/consoleText | tail -12"}, Out("""
            + make lint
            poetry run ruff check .
            ledgerline/billing/dunning.py:3:1: I001 [*] Import block is un-sorted or un-formatted
            ledgerline/billing/dunning.py:41:101: E501 Line too long (104 > 100)
            Found 2 errors.
            [*] 1 fixable with the `--fix` option.
            make: *** [lint] Error 1
            script returned exit code 2
            [Pipeline] }
            [Pipeline] // stage
            [Pipeline] End of Pipeline
            Finished: FAILURE
        """)),
        A("Two ruff errors in `dunning.py` from yesterday's commit: import order and one long line."),
        T("bash", {"command": "poetry run ruff check --fix ledgerline/billing/dunning.py && poetry run ruff format ledgerline/billing/dunning.py"}, Out("""
            Found 2 errors (1 fixed, 1 remaining).
            ledgerline/billing/dunning.py:41:101: E501 Line too long (104 > 100)
            1 file reformatted
        """)),
        T("bash", {"command": "make lint"}, Out("""
            poetry run ruff check .
            All checks passed!
            poetry run ruff format --check .
            214 files already formatted
            poetry run mypy ledgerline
            Success: no issues found in 131 source files
        """)),
        U("Ugh. From now on, always run make lint before committing anything for me. It would have caught this.",
          "M-lint"),
        A("Will do: `make lint` before every commit."),
        T("bash", {"command": "git commit -am 'style(dunning): fix import order and line length' && git push"}, Out("""
            [feat/LL-398-dunning-schedule 1c7e0f3] style(dunning): fix import order and line length
             1 file changed, 5 insertions(+), 3 deletions(-)
            To github.com:quillstone/ledgerline.git
               9a41d2e..1c7e0f3  feat/LL-398-dunning-schedule -> feat/LL-398-dunning-schedule
        """)),
        U("Also, Makefiles are the one exception on indentation: they need real tabs. You used spaces in the "
          "Makefile last week and make choked with 'missing separator'."),
        A("Got it: tabs in Makefile recipes, four spaces everywhere in Python."),
        U("Cool, Jenkins is green again."),
    ]),

    S("07", "sqlalchemy-selectinload-regression", "2026-03-16T11:00:00Z", "MissingGreenlet after dependency bump", [
        U("After Friday's dependency bump, tests/api/test_invoices.py blows up with MissingGreenlet. Any idea?"),
        T("bash", {"command": "poetry run pytest tests/api/test_invoices.py -q -x"}, Out("""
            F
            =================================== FAILURES ===================================
            ______________________ test_list_invoices_with_lines ___________________________
            ...
            E   sqlalchemy.exc.MissingGreenlet: greenlet_spawn has not been called; can't call await_only() here. Was IO attempted in an unexpected place? (Background on this error at: https://sqlalche.me/e/20/xd2s)
            1 failed in 1.93s
        """), err=True),
        T("bash", {"command": "poetry show sqlalchemy | head -3"}, Out("""
             name         : sqlalchemy
             version      : 2.0.29
             description  : Database Abstraction Library
        """)),
        A("The bump took SQLAlchemy from 2.0.28 to 2.0.29, which has a regression with `selectinload` on async "
          "relationships. Pinning back to 2.0.28 is the quick fix."),
        U("Pin it to 2.0.28 temporarily, until 2.0.30 ships with the fix, supposedly mid-April."),
        T("bash", {"command": "poetry add sqlalchemy==2.0.28"}, Out("""
            Updating dependencies
            Resolving dependencies... (1.8s)

            Package operations: 0 installs, 1 update, 0 removals

              • Downgrading sqlalchemy (2.0.29 -> 2.0.28)

            Writing lock file
        """)),
        T("bash", {"command": "poetry run pytest tests/api/test_invoices.py -q"}, Out("""
            ..........
            10 passed in 2.11s
        """)),
        U("Leave a comment in pyproject so nobody bumps it back by accident."),
        T("edit", {"file_path": "pyproject.toml",
                   "old_string": "sqlalchemy = {version = \"2.0.28\", extras = [\"asyncio\"]}",
                   "new_string": "# Pinned: 2.0.29 breaks selectinload on async relationships (MissingGreenlet). Unpin on 2.0.30.\nsqlalchemy = {version = \"2.0.28\", extras = [\"asyncio\"]}"},
          "The file pyproject.toml has been updated."),
        A("Done. Worth noting for the prod impact question: production is Postgres 14 on RDS and the "
          "regression is purely client-side, so nothing in prod was affected."),
        U("Good to know. Thanks!"),
    ]),

    S("08", "webhook-retry-test-local", "2026-03-18T16:20:00Z", "test_webhook_retry fails locally only", [
        U("test_webhook_retry fails for me locally, CI is green. I haven't touched the webhooks code."),
        T("bash", {"command": "poetry run pytest tests/unit/webhooks/test_webhook_retry.py -q"}, Out("""
            ==================================== ERRORS ====================================
            ____________ ERROR collecting tests/unit/webhooks/test_webhook_retry.py ________
            import file mismatch:
            imported module 'test_webhook_retry' has this __file__ attribute:
              /Users/priya/code/ledgerline/tests/webhooks/test_webhook_retry.py
            which is not the same as the test file we want to collect:
              /Users/priya/code/ledgerline/tests/unit/webhooks/test_webhook_retry.py
            HINT: remove __pycache__ / .pyc files and/or use a unique basename for your test file modules
            1 error in 0.31s
        """), err=True),
        A("It's a stale cache: the test moved from `tests/webhooks/` to `tests/unit/webhooks/` and pytest still "
          "has the old module cached. Clearing `.pytest_cache` and `__pycache__` should fix it."),
        T("bash", {"command": "rm -rf .pytest_cache && find tests -name __pycache__ -type d -prune -exec rm -rf {} + && poetry run pytest tests/unit/webhooks -q"}, Out("""
            .......
            7 passed in 0.88s
        """)),
        U("Classic. While you're in there, where does the retry logic actually live?"),
        T("grep", {"pattern": "def handle_event", "path": "ledgerline/webhooks/"},
          "ledgerline/webhooks/stripe.py:48:async def handle_event(event: stripe.Event, session: AsyncSession) -> None:"),
        A("Stripe webhooks are handled in `ledgerline/webhooks/stripe.py`; `handle_event` dispatches by event "
          "type and retries are left to Stripe (we return 500 on transient errors)."),
        U("Right. Thanks, that's it."),
    ]),

    S("09", "celery-pdf-time-limits", "2026-03-20T10:05:00Z", "Celery time limits for invoice PDFs", [
        U("Before we start: write me a limerick about Kubernetes, I need it for the team channel 😄"),
        A("A cluster that lived in us-east\nHad pods that would not be released;\nThey'd CrashLoop and BackOff,\n"
          "Then quietly knock off,\nTill someone raised memory at least."),
        U("Ha, perfect. OK, real work. generate_invoice_pdf tasks are getting killed for big customers. "
          "And keep your answers short today, skip the preamble, just get to the point."),
        T("grep", {"pattern": "soft_time_limit", "path": "ledgerline/tasks/"}, Out("""
            ledgerline/tasks/invoices.py:22:@celery_app.task(bind=True, soft_time_limit=60, time_limit=90)
            ledgerline/tasks/stripe_sync.py:14:@celery_app.task(bind=True, soft_time_limit=30, time_limit=45, max_retries=5)
        """)),
        A("`generate_invoice_pdf`: 60 s soft / 90 s hard. `sync_stripe_events`: 30 s soft / 45 s hard."),
        U("Bump the PDF one to 120 soft, 150 hard. Invoices with 2k lines take about 90s in WeasyPrint. Leave "
          "the Stripe sync at 30."),
        T("edit", {"file_path": "ledgerline/tasks/invoices.py",
                   "old_string": "@celery_app.task(bind=True, soft_time_limit=60, time_limit=90)",
                   "new_string": "@celery_app.task(bind=True, soft_time_limit=120, time_limit=150)"},
          "The file ledgerline/tasks/invoices.py has been updated."),
        T("bash", {"command": "poetry run pytest tests/unit/tasks -q"}, Out("""
            ...........
            11 passed in 1.02s
        """)),
        U("Also, while you're in tasks/: Celery tasks must be idempotent and take IDs, not ORM objects. I saw "
          "someone pass an Invoice instance into .delay() last week."),
        T("grep", {"pattern": "\\.delay\\(invoice[,)]", "path": "ledgerline/"},
          "ledgerline/api/routes/invoices.py:131:    generate_invoice_pdf.delay(invoice)"),
        T("edit", {"file_path": "ledgerline/api/routes/invoices.py",
                   "old_string": "    generate_invoice_pdf.delay(invoice)",
                   "new_string": "    generate_invoice_pdf.delay(str(invoice.id))"},
          "The file ledgerline/api/routes/invoices.py has been updated."),
        A("Fixed the one caller that passed the ORM object."),
        U("👍"),
    ]),

    S("10", "tomas-out-merge-530", "2026-03-24T09:50:00Z", "Reviews while Tomás is out; merge PR #530", [
        U("Tomás is out this week, so migration reviews go to Mei until Monday. Can you add her as reviewer on #530?"),
        T("bash", {"command": "gh pr edit 530 --add-reviewer meichen-qs"},
          "https://github.com/quillstone/ledgerline/pull/530"),
        U("Once she approves, merge it with squash. I always squash-merge, I want one commit per PR on master.",
          "M-squash"),
        A("Will do. I'll check the status first."),
        T("bash", {"command": "gh pr checks 530"}, Out("""
            All checks were successful
            0 failing, 0 pending, and 2 successful checks

               NAME                       DESCRIPTION                      ELAPSED  URL
            ✓  continuous-integration/jenkins/pr-merge  This commit looks good  11m4s   https://jenkins.quillstone.internal/job/ledgerline-main/PR-530/1/
            ✓  review/approved            Approved by meichen-qs           0s
        """)),
        A("Jenkins is green and Mei approved. Do you want to wait for a second approval?"),
        U("No, one approval is enough for us. Go ahead."),
        T("bash", {"command": "gh pr merge 530 --squash --delete-branch"}, Out("""
            ✓ Squashed and merged pull request quillstone/ledgerline#530 (feat(dunning): add day-14 final notice template)
            ✓ Deleted local branch feat/LL-402-final-notice and switched to branch master
            ✓ Deleted remote branch feat/LL-402-final-notice
        """)),
        U("Nice. Branch naming reminder for new branches: type/ticket-slug, like feat/LL-402-final-notice."),
        A("Noted."),
        U("And review comments that aren't blocking should start with 'nit:' so people know they can skip them."),
        A("Got it, I'll prefix non-blocking suggestions with \"nit:\"."),
    ]),

    S("11", "refactor-invoice-pdf", "2026-03-26T14:30:00Z", "Split invoice PDF rendering out of the task", [
        U("Let's split generate_invoice_pdf: HTML rendering moves into ledgerline/billing/pdf.py and the task "
          "just orchestrates."),
        T("read", {"file_path": "ledgerline/tasks/invoices.py"}, Out("""
            @celery_app.task(bind=True, soft_time_limit=120, time_limit=150)
            def generate_invoice_pdf(self, invoice_id: str) -> str:
                with session_scope() as session:
                    invoice = session.get(Invoice, invoice_id)
                    template = env.get_template("invoice.html")
                    html = template.render(invoice=invoice, lines=invoice.lines)
                    pdf = HTML(string=html, base_url=os.path.join(TEMPLATES_DIR, "static")).write_pdf()
                    key = upload_pdf(invoice, pdf)
                return key
        """)),
        T("write", {"file_path": "ledgerline/billing/pdf.py", "content": "import os\n\nfrom weasyprint import HTML\n\nfrom ledgerline.templates import TEMPLATES_DIR, env\n\n\ndef render_invoice_html(invoice):\n    html = env.get_template(\"invoice.html\").render(invoice=invoice, lines=invoice.lines)\n    print(\"rendered\", invoice.id, len(html))\n    return html\n\n\ndef render_invoice_pdf(invoice) -> bytes:\n    html = render_invoice_html(invoice)\n    return HTML(string=html, base_url=os.path.join(TEMPLATES_DIR, \"static\")).write_pdf()\n"},
          "File created successfully at: ledgerline/billing/pdf.py"),
        A("Created `ledgerline/billing/pdf.py` with `render_invoice_html` and `render_invoice_pdf`; the task now "
          "calls `render_invoice_pdf` and uploads."),
        U("Again with the print()! Use the structlog logger, not print, I've said this before. And "
          "render_invoice_html has no type hints. Also use pathlib for the static dir, not os.path.",
          "M-structlog"),
        T("edit", {"file_path": "ledgerline/billing/pdf.py",
                   "old_string": "def render_invoice_html(invoice):\n    html = env.get_template(\"invoice.html\").render(invoice=invoice, lines=invoice.lines)\n    print(\"rendered\", invoice.id, len(html))\n    return html",
                   "new_string": "def render_invoice_html(invoice: Invoice) -> str:\n    html = env.get_template(\"invoice.html\").render(invoice=invoice, lines=invoice.lines)\n    log.debug(\"invoice.html_rendered\", invoice_id=str(invoice.id), size=len(html))\n    return html"},
          "The file ledgerline/billing/pdf.py has been updated."),
        T("edit", {"file_path": "ledgerline/billing/pdf.py",
                   "old_string": "base_url=os.path.join(TEMPLATES_DIR, \"static\")",
                   "new_string": "base_url=str(TEMPLATES_DIR / \"static\")"},
          "The file ledgerline/billing/pdf.py has been updated."),
        T("bash", {"command": "make lint && make test"}, Out("""
            poetry run ruff check .
            All checks passed!
            poetry run ruff format --check .
            215 files already formatted
            poetry run mypy ledgerline
            Success: no issues found in 132 source files
            poetry run pytest -m "not integration" -q
            ........................................................................ [ 41%]
            ........................................................................ [ 83%]
            .............................                                            [100%]
            173 passed in 14.22s
        """)),
        A("Lint and unit tests pass. `pdf.py` now uses `log = structlog.get_logger(__name__)`, full type hints "
          "and `pathlib`."),
        U("Good. Docstrings in Google style on the two public functions please, with Args:."),
        T("edit", {"file_path": "ledgerline/billing/pdf.py",
                   "old_string": "def render_invoice_pdf(invoice: Invoice) -> bytes:\n",
                   "new_string": "def render_invoice_pdf(invoice: Invoice) -> bytes:\n    \"\"\"Render an invoice to PDF bytes.\n\n    Args:\n        invoice: The invoice to render, with its lines loaded.\n    \"\"\"\n"},
          "The file ledgerline/billing/pdf.py has been updated."),
        U("Ship it."),
    ]),

    S("12", "dunning-v2-feature-flag", "2026-03-31T10:40:00Z", "Put dunning v2 behind a feature flag", [
        U("Dunning v2 has to ship dark. New behaviour goes behind a feature flag in Unleash, that's how we do "
          "everything new. Call the flag dunning-v2.", "M-unleash"),
        T("read", {"file_path": "ledgerline/flags.py"}, Out("""
            from UnleashClient import UnleashClient

            from ledgerline.settings import settings

            _client = UnleashClient(url=settings.UNLEASH_URL, app_name="ledgerline", custom_headers={"Authorization": settings.UNLEASH_TOKEN})


            def is_enabled(flag: str, *, account_id: str | None = None) -> bool:
                context = {"userId": account_id} if account_id else {}
                return _client.is_enabled(flag, context, fallback_function=lambda *_: False)
        """)),
        T("edit", {"file_path": "ledgerline/billing/dunning.py",
                   "old_string": "def schedule_dunning(invoice: Invoice, failed: PaymentAttempt) -> None:\n",
                   "new_string": "def schedule_dunning(invoice: Invoice, failed: PaymentAttempt) -> None:\n    if is_enabled(\"dunning-v2\", account_id=str(invoice.account_id)):\n        return schedule_dunning_v2(invoice, failed)\n"},
          "The file ledgerline/billing/dunning.py has been updated."),
        A("v1 stays the default; accounts with `dunning-v2` on go through `schedule_dunning_v2`. The fallback "
          "is off if Unleash is unreachable."),
        U("Good. And don't rebase feature/dunning-v2 until after Hannah's demo on April 2, she's demoing straight "
          "from that branch."),
        A("Understood, no rebases on `feature/dunning-v2` before the demo."),
        U("v2 templates go in ledgerline/templates/dunning/ like the others, with a _v2 suffix."),
        T("bash", {"command": "ls ledgerline/templates/dunning/"}, Out("""
            day03_reminder.html
            day07_reminder.html
            day14_final_notice.html
        """)),
        T("bash", {"command": "for f in day03_reminder day07_reminder day14_final_notice; do cp ledgerline/templates/dunning/$f.html ledgerline/templates/dunning/${f}_v2.html; done && ls ledgerline/templates/dunning/"}, Out("""
            day03_reminder.html
            day03_reminder_v2.html
            day07_reminder.html
            day07_reminder_v2.html
            day14_final_notice.html
            day14_final_notice_v2.html
        """)),
        U("Thanks. I'll do the copy changes myself."),
    ]),

    S("13", "dunning-demo-seed-data", "2026-04-02T15:00:00Z", "Seed data for the dunning v2 demo", [
        U("Hannah's demo is in an hour. I need seed data: three accounts with failed payments at day 3, 7 and 14."),
        T("read", {"file_path": "scripts/seed_demo.py"}, Out("""
            \"\"\"Seed a local database with demo accounts.\"\"\"
            import argparse
            from datetime import datetime

            from ledgerline.db.session import session_scope
            from tests.factories import AccountFactory, InvoiceFactory, PaymentAttemptFactory

            FAILED_AT = datetime(2026, 1, 10, 15, 0)
        """)),
        A("It uses a fixed `FAILED_AT`. I'll add a `--dunning` option that creates three accounts with failed "
          "payments 3, 7 and 14 days before now."),
        T("edit", {"file_path": "scripts/seed_demo.py",
                   "old_string": "FAILED_AT = datetime(2026, 1, 10, 15, 0)",
                   "new_string": "DUNNING_AGES = (3, 7, 14)\n\n\ndef seed_dunning(session) -> None:\n    now = datetime.now(UTC)\n    for days in DUNNING_AGES:\n        account = AccountFactory(name=f\"Demo dunning day {days}\")\n        invoice = InvoiceFactory(account=account, status=\"open\")\n        PaymentAttemptFactory(invoice=invoice, status=\"failed\", failed_at=now - timedelta(days=days))"},
          "The file scripts/seed_demo.py has been updated."),
        T("bash", {"command": "poetry run python scripts/seed_demo.py --env local --dunning"}, Out("""
            seeded account 'Demo dunning day 3'  (invoice INV-2026-004121, failed 2026-03-30)
            seeded account 'Demo dunning day 7'  (invoice INV-2026-004122, failed 2026-03-26)
            seeded account 'Demo dunning day 14' (invoice INV-2026-004123, failed 2026-03-19)
        """)),
        U("Works. Will it still work if she reruns the demo next week?"),
        A("Yes, the ages are computed from the current time, so the three accounts always land on day 3, 7 and 14."),
        U("Great, wish me luck."),
        A("Good luck with the demo!"),
    ]),

    S("14", "staging-webhook-signature", "2026-04-07T09:20:00Z", "Stripe webhook signature errors on staging", [
        U("Sorry if I drop, it's pouring here and the Wi-Fi keeps cutting out. Staging webhooks return 400 since Friday."),
        T("bash", {"command": "kubectl -n ledgerline-staging logs deploy/ledgerline-api --since=1h | grep -m3 webhooks"}, Out("""
            {"event": "webhook.rejected", "level": "warning", "path": "/webhooks/stripe", "status": 400, "error": "SignatureVerificationError", "timestamp": "2026-04-07T13:02:11Z"}
            {"event": "webhook.rejected", "level": "warning", "path": "/webhooks/stripe", "status": 400, "error": "SignatureVerificationError", "timestamp": "2026-04-07T13:04:40Z"}
            {"event": "webhook.rejected", "level": "warning", "path": "/webhooks/stripe", "status": 400, "error": "SignatureVerificationError", "timestamp": "2026-04-07T13:09:02Z"}
        """)),
        A("Every staging webhook fails signature verification in `ledgerline/webhooks/stripe.py`. That usually "
          "means `STRIPE_WEBHOOK_SECRET` is for a different endpoint or environment."),
        T("bash", {"command": "aws secretsmanager describe-secret --secret-id ledgerline/staging/stripe --query '{changed: LastChangedDate, rotated: LastRotatedDate}'"}, Out("""
            {
                "changed": "2026-04-03T16:48:12.514000-04:00",
                "rotated": "2026-04-03T16:48:12.514000-04:00"
            }
        """)),
        A("The staging Stripe secret was rotated on Friday at 16:48 Eastern, which matches when the 400s started."),
        U("Ah. Olu rotated it and the staging endpoint in the Stripe dashboard still signs with the old secret. "
          "I'll fix it in the dashboard."),
        U("Fixed, getting 200s again. Can you send a test event so I can confirm end to end? Staging API base "
          "is https://api.staging.ledgerline.quillstone.dev."),
        T("bash", {"command": "stripe trigger invoice.payment_failed --api-key \"$STRIPE_STAGING_KEY\""}, Out("""
            Setting up fixture for: customer
            Running fixture for: customer
            Setting up fixture for: invoice
            Running fixture for: invoice
            Trigger succeeded! Check dashboard for event details.
        """)),
        T("bash", {"command": "kubectl -n ledgerline-staging logs deploy/ledgerline-api --since=2m | grep -m1 webhook"},
          "{\"event\": \"webhook.processed\", \"level\": \"info\", \"type\": \"invoice.payment_failed\", \"status\": 200, \"timestamp\": \"2026-04-07T13:31:57Z\"}"),
        A("End to end works: `invoice.payment_failed` processed with 200."),
        U("Great, thanks. Going to find a cable before the Wi-Fi dies again."),
    ]),

    S("15", "incident-duplicate-invoices", "2026-04-09T11:15:00Z", "Incident: duplicate invoices after task retries", [
        U("SEV2: customers got double-billed this morning. Sentry ledgerline-worker shows finalize_invoice "
          "timeouts followed by retries. Help me triage."),
        T("bash", {"command": "psql \"$LEDGERLINE_REPLICA_URL\" -c \"select account_id, period_start, count(*) from invoices where created_at > now() - interval '12 hours' group by 1, 2 having count(*) > 1 order by 1\""}, Out("""
                          account_id              | period_start | count
            --------------------------------------+--------------+-------
             0c4b1f9e-8a51-4d7b-9f6e-1a2b3c4d5e6f | 2026-04-01   |     2
             1d2e3f40-5a6b-4c7d-8e9f-0a1b2c3d4e5f | 2026-04-01   |     2
             ...
             f0e1d2c3-b4a5-4968-8776-5a4b3c2d1e0f | 2026-04-01   |     2
            (14 rows)
        """)),
        A("14 accounts have two invoices for the April period. Checking the task definition."),
        T("read", {"file_path": "ledgerline/tasks/invoices.py", "offset": 40, "limit": 14}, Out("""
            @celery_app.task(bind=True, autoretry_for=(OperationalError, SoftTimeLimitExceeded), max_retries=3, soft_time_limit=30)
            def finalize_invoice(self, account_id: str, period_start: str) -> str:
                with session_scope() as session:
                    draft = build_invoice(session, account_id, date.fromisoformat(period_start))
                    invoice = Invoice.from_draft(draft)
                    session.add(invoice)
                    session.commit()
                    charge_invoice.delay(str(invoice.id))
                    return str(invoice.id)
        """)),
        A("Root cause: `finalize_invoice` commits the invoice, then hits the 30 s soft limit in the slow Stripe "
          "call chain, and `autoretry_for` retries the whole task. With no idempotency key, the retry inserts a "
          "second invoice and charges it."),
        U("Tomás suggested running alembic downgrade on prod to back out yesterday's migration. Is that related?"),
        A("No. Yesterday's migration only added an index; the duplicates come from the retries. A downgrade "
          "would also drop the index while the app expects it."),
        U("Agreed. Rule for us: never run alembic downgrade against production, we write a forward fix "
          "migration instead. Also this hotfix goes out as soon as it's ready, not on the "
          "regular Tuesday/Thursday deploy train. Incidents are the exception."),
        T("bash", {"command": "git switch master && git pull --ff-only && git switch -c fix/LL-431-finalize-idempotency"}, Out("""
            Already on 'master'
            Already up to date.
            Switched to a new branch 'fix/LL-431-finalize-idempotency'
        """)),
        U("Start with the migration: invoices.idempotency_key, unique index."),
        T("bash", {"command": "poetry run alembic revision -m 'invoices idempotency key'"},
          "  Generating /Users/priya/code/ledgerline/ledgerline/db/migrations/versions/0051_invoices_idempotency_key.py ...  done"),
        T("edit", {"file_path": "ledgerline/db/migrations/versions/0051_invoices_idempotency_key.py",
                   "old_string": "def upgrade() -> None:\n    pass",
                   "new_string": "def upgrade() -> None:\n    op.add_column(\"invoices\", sa.Column(\"idempotency_key\", sa.Text(), nullable=True))\n    op.create_index(\"ix_invoices_idempotency_key\", \"invoices\", [\"idempotency_key\"], unique=True, postgresql_concurrently=True)"},
          "The file ledgerline/db/migrations/versions/0051_invoices_idempotency_key.py has been updated."),
        A("Migration 0051 adds the nullable column with a unique index built concurrently. It ships via the "
          "`ledgerline-migrate` pre-deploy hook in Argo CD, then the `ledgerline-prod` app syncs. Next: derive "
          "the key from `account_id` + `period_start` in `finalize_invoice`."),
        U("Yes. I'll ping support about refunds for the 14 customers. Sentry for the API side is ledgerline-api, "
          "can you check nothing there is related?"),
        A("I don't have Sentry access from here; search `ledgerline-api` for `finalize` since 06:00 Eastern. If "
          "nothing shows up it stayed in the workers."),
    ]),
]

CODING_SESSIONS += [
    S("16", "incident-followup-idempotency", "2026-04-14T13:00:00Z", "Incident follow-up: idempotency keys in finalize_invoice", [
        U("Follow-up for the duplicate-invoice incident. Support refunded all 14 customers. Let's finish "
          "LL-431: finalize_invoice should use the idempotency key."),
        T("edit", {"file_path": "ledgerline/tasks/invoices.py",
                   "old_string": "        draft = build_invoice(session, account_id, date.fromisoformat(period_start))\n        invoice = Invoice.from_draft(draft)",
                   "new_string": "        key = f\"finalize:{account_id}:{period_start}\"\n        existing = session.scalar(select(Invoice).where(Invoice.idempotency_key == key))\n        if existing is not None:\n            log.info(\"invoice.finalize_skipped\", invoice_id=str(existing.id), idempotency_key=key)\n            return str(existing.id)\n        draft = build_invoice(session, account_id, date.fromisoformat(period_start))\n        invoice = Invoice.from_draft(draft, idempotency_key=key)"},
          "The file ledgerline/tasks/invoices.py has been updated."),
        T("write", {"file_path": "tests/unit/tasks/test_finalize_invoice.py", "content": "def test_finalize_invoice_is_idempotent(db_session, account_factory):\n    account = account_factory()\n    first = finalize_invoice.run(str(account.id), \"2026-04-01\")\n    second = finalize_invoice.run(str(account.id), \"2026-04-01\")\n    assert first == second\n    assert db_session.scalar(select(func.count()).select_from(Invoice)) == 1\n"},
          "File created successfully at: tests/unit/tasks/test_finalize_invoice.py"),
        T("bash", {"command": "poetry run pytest tests/unit/tasks/test_finalize_invoice.py -q"}, Out("""
            .
            1 passed in 0.57s
        """)),
        A("A retried `finalize_invoice` now returns the existing invoice instead of creating a second one."),
        U("What about a race, two workers at the same time?"),
        A("The unique index on `idempotency_key` makes the second insert fail with `IntegrityError`. I'll catch "
          "that, roll back, and return the winner's invoice."),
        T("edit", {"file_path": "ledgerline/tasks/invoices.py",
                   "old_string": "        session.add(invoice)\n        session.commit()",
                   "new_string": "        session.add(invoice)\n        try:\n            session.commit()\n        except IntegrityError:\n            session.rollback()\n            return str(session.scalar(select(Invoice.id).where(Invoice.idempotency_key == key)))"},
          "The file ledgerline/tasks/invoices.py has been updated."),
        T("bash", {"command": "make lint && make test"}, Out("""
            poetry run ruff check .
            All checks passed!
            poetry run ruff format --check .
            219 files already formatted
            poetry run mypy ledgerline
            Success: no issues found in 133 source files
            poetry run pytest -m "not integration" -q
            ........................................................................ [ 40%]
            ........................................................................ [ 80%]
            ....................................                                     [100%]
            180 passed in 15.03s
        """)),
        U("Great. Put the postmortem summary in the PR description: root cause, fix, 14 customers refunded."),
        T("bash", {"command": "gh pr create --title 'fix(invoices): idempotent finalize_invoice' --body-file /tmp/pr-431.md --reviewer meichen-qs"},
          "https://github.com/quillstone/ledgerline/pull/548"),
        U("Thanks, that closes the incident from my side."),
    ]),

    S("17", "invoice-rounding-flaky-again", "2026-04-16T10:30:00Z", "test_invoice_rounding flaky again in Jenkins", [
        U("test_invoice_rounding is flaky again in Jenkins, build #2398. Same test as last month, different "
          "failure.", "M-flaky"),
        T("bash", {"command": "curl -s -u priya:$JENKINS_TOKEN https://jenkins.quillstone.internal/job/ledgerline-main/2398/consoleText | grep -A6 'def test_invoice_rounding'"}, Out("""
                def test_invoice_rounding(invoice_factory):
                    invoice = invoice_factory(lines=3, with_tax=True)
            >       assert invoice.total_cents == sum(line.amount_cents + line.tax_cents for line in invoice.lines)
            E       assert 4999 == 5000
            E        +  where 4999 = <Invoice id=None lines=3>.total_cents

            tests/unit/billing/test_invoices.py:91: AssertionError
        """)),
        A("This time it's tax: the factory sometimes adds taxed lines and `total_cents` ignores `tax_cents` when "
          "a line's tax rounds to exactly half a cent. It depends on the random amounts, so it shows up rarely."),
        U("I don't have time to fix it properly today. Mark it with reruns for now and open a ticket."),
        T("edit", {"file_path": "tests/unit/billing/test_invoices.py",
                   "old_string": "def test_invoice_rounding(invoice_factory):",
                   "new_string": "@pytest.mark.flaky(reruns=2)  # LL-447: tax half-cent rounding, see ticket\ndef test_invoice_rounding(invoice_factory):"},
          "The file tests/unit/billing/test_invoices.py has been updated."),
        U("And make lint before you commit this time, as always. Last time a marker import broke mypy.",
          "M-lint"),
        T("bash", {"command": "make lint"}, Out("""
            poetry run ruff check .
            All checks passed!
            poetry run ruff format --check .
            219 files already formatted
            poetry run mypy ledgerline
            Success: no issues found in 133 source files
        """)),
        T("bash", {"command": "git commit -am 'test(invoices): rerun flaky test_invoice_rounding (LL-447)' && git push"}, Out("""
            [master 7d20b9a] test(invoices): rerun flaky test_invoice_rounding (LL-447)
             1 file changed, 1 insertion(+)
            To github.com:quillstone/ledgerline.git
               4f1e2aa..7d20b9a  master -> master
        """)),
        U("Wait, you pushed straight to master? I meant on my branch. Fine for a test marker I guess."),
        A("Sorry, I was on `master` after the last merge. I'll check the branch before pushing from now on."),
        U("OK. Also, coverage is gated at 85% in Jenkins, so don't ever delete tests just to get green lol."),
        A("Understood."),
    ]),

    S("18", "force-push-recovery", "2026-04-21T14:45:00Z", "Recover commits lost to a force push", [
        U("I think I clobbered Mei's commits on feature/dunning-v2 with a force push. Help?"),
        T("bash", {"command": "git fetch origin && git reflog show origin/feature/dunning-v2 | head -5"}, Out("""
            a91c3e7 refs/remotes/origin/feature/dunning-v2@{0}: update by push
            3f9c2ab refs/remotes/origin/feature/dunning-v2@{1}: fetch: fast-forward
            0e7d51b refs/remotes/origin/feature/dunning-v2@{2}: fetch: fast-forward
            c4b8a02 refs/remotes/origin/feature/dunning-v2@{3}: update by push
        """)),
        T("bash", {"command": "git log --oneline a91c3e7..3f9c2ab"}, Out("""
            3f9c2ab feat(dunning): v2 template copy for day 7
            0e7d51b test(dunning): cover v2 schedule with paused accounts
        """)),
        A("Mei's two commits (`0e7d51b`, `3f9c2ab`) were on the remote before your push. I'll rebase your "
          "commit onto them and push back."),
        T("bash", {"command": "git rebase 3f9c2ab && git log --oneline -3"}, Out("""
            Successfully rebased and updated refs/heads/feature/dunning-v2.
            8b1f0d4 feat(dunning): skip v2 reminders for paused accounts
            3f9c2ab feat(dunning): v2 template copy for day 7
            0e7d51b test(dunning): cover v2 schedule with paused accounts
        """)),
        U("From now on never use plain --force, always --force-with-lease, especially on shared branches.",
          "M-lease"),
        T("bash", {"command": "git push --force-with-lease=feature/dunning-v2:a91c3e7 origin feature/dunning-v2"}, Out("""
            To github.com:quillstone/ledgerline.git
             + a91c3e7...8b1f0d4 feature/dunning-v2 -> feature/dunning-v2 (forced update)
        """)),
        A("Restored: the branch now has Mei's two commits plus yours on top. With `--force-with-lease` the push "
          "would have been rejected if anyone had pushed since I fetched."),
        U("Phew. I'll tell Mei to pull. Thanks!"),
    ]),

    S("19", "ledger-events-rename", "2026-04-23T09:40:00Z", "Rename ledger_events.amount to amount_cents", [
        U("I want to rename ledger_events.amount to amount_cents, so it's consistent with every other money column."),
        T("grep", {"pattern": "ledger_events|LedgerEvent\\.amount", "path": "ledgerline/"}, Out("""
            ledgerline/db/models.py:212:    __tablename__ = "ledger_events"
            ledgerline/db/models.py:219:    amount: Mapped[int] = mapped_column(BigInteger)
            ledgerline/billing/ledger.py:34:        LedgerEvent(kind=kind, amount=amount_cents, invoice_id=invoice.id)
            ledgerline/api/routes/reports.py:77:    func.sum(LedgerEvent.amount)
        """)),
        A("Three places in our code. A plain `ALTER TABLE ... RENAME COLUMN` is instant in Postgres, so the "
          "migration itself is easy."),
        U("Wait, before you write it: Jonas on the data team reads ledger_events directly for the warehouse "
          "sync. Any schema change on ledger_events needs a heads-up to Jonas in #data-eng first.", "M-jonas"),
        A("Then a rename would break their sync. Safer: add `amount_cents`, dual-write both for a release, "
          "let Jonas switch, then drop `amount` later. Draft for #data-eng:\n\n> Hi Jonas, heads-up: we're "
          "adding `ledger_events.amount_cents` (BIGINT, same values as `amount`) in the next release and will "
          "dual-write both. Could you move the warehouse sync to `amount_cents`? We'll only drop `amount` "
          "once you confirm."),
        U("Perfect, I posted it. Go ahead with the additive migration."),
        T("bash", {"command": "poetry run alembic revision -m 'ledger_events amount_cents'"},
          "  Generating /Users/priya/code/ledgerline/ledgerline/db/migrations/versions/0053_ledger_events_amount_cents.py ...  done"),
        T("edit", {"file_path": "ledgerline/db/migrations/versions/0053_ledger_events_amount_cents.py",
                   "old_string": "def upgrade() -> None:\n    pass",
                   "new_string": "def upgrade() -> None:\n    op.add_column(\"ledger_events\", sa.Column(\"amount_cents\", sa.BigInteger(), nullable=True))\n    op.execute(\"UPDATE ledger_events SET amount_cents = amount WHERE amount_cents IS NULL\")"},
          "The file ledgerline/db/migrations/versions/0053_ledger_events_amount_cents.py has been updated."),
        A("How big is `ledger_events` in prod? A single UPDATE could hold locks for a while."),
        U("~40M rows. Yeah, do the backfill in batches in a separate script instead, keep the migration additive only."),
        T("edit", {"file_path": "ledgerline/db/migrations/versions/0053_ledger_events_amount_cents.py",
                   "old_string": "\n    op.execute(\"UPDATE ledger_events SET amount_cents = amount WHERE amount_cents IS NULL\")",
                   "new_string": ""},
          "The file ledgerline/db/migrations/versions/0053_ledger_events_amount_cents.py has been updated."),
        U("Good. Mei will review the migration."),
    ]),

    S("20", "dunning-time-tests", "2026-04-28T16:10:00Z", "Time-dependent tests for the dunning schedule", [
        U("The dunning schedule tests need frozen time. Use time-machine, not freezegun: freezegun is slow with "
          "our async tests and we're removing it.", "M-timemachine"),
        T("grep", {"pattern": "freezegun", "path": "tests/"}, Out("""
            tests/unit/billing/test_dunning.py:4:from freezegun import freeze_time
            tests/unit/billing/test_dunning.py:21:@freeze_time("2026-03-01 12:00:00")
            tests/unit/billing/test_statements.py:3:from freezegun import freeze_time
        """)),
        A("Two files still use freezegun. I'll convert `test_dunning.py` now, since it's the one you're touching."),
        T("edit", {"file_path": "tests/unit/billing/test_dunning.py",
                   "old_string": "from freezegun import freeze_time",
                   "new_string": "import time_machine"},
          "The file tests/unit/billing/test_dunning.py has been updated."),
        T("edit", {"file_path": "tests/unit/billing/test_dunning.py",
                   "old_string": "@freeze_time(\"2026-03-01 12:00:00\")",
                   "new_string": "@time_machine.travel(datetime(2026, 3, 1, 12, 0, tzinfo=UTC), tick=False)"},
          "The file tests/unit/billing/test_dunning.py has been updated."),
        T("write", {"file_path": "tests/unit/billing/test_dunning_schedule.py", "content": "@pytest.mark.parametrize(\"days\", [3, 7, 14])\ndef test_reminder_due_on_day(days, invoice_factory, payment_attempt_factory):\n    failed_at = datetime(2026, 3, 1, 12, 0, tzinfo=UTC)\n    attempt = payment_attempt_factory(status=\"failed\", failed_at=failed_at)\n    with time_machine.travel(failed_at + timedelta(days=days), tick=False):\n        assert due_reminders(attempt.invoice) == [days]\n"},
          "File created successfully at: tests/unit/billing/test_dunning_schedule.py"),
        T("bash", {"command": "poetry run pytest tests/unit/billing/test_dunning.py tests/unit/billing/test_dunning_schedule.py -q"}, Out("""
            ........
            8 passed in 0.61s
        """)),
        U("Nice, way faster. Factories: there's already a payment_attempt_factory fixture, right?"),
        T("grep", {"pattern": "class PaymentAttemptFactory", "path": "tests/factories.py"},
          "tests/factories.py:88:class PaymentAttemptFactory(factory.alchemy.SQLAlchemyModelFactory):"),
        A("Yes, `tests/factories.py` has `PaymentAttemptFactory` (factory_boy) and conftest registers it as "
          "`payment_attempt_factory`."),
        U("Good. Leave test_statements.py for another day."),
    ]),

    S("21", "migrate-ci-github-actions", "2026-05-05T10:00:00Z", "Move CI from Jenkins to GitHub Actions", [
        U("Big day: we're moving CI from Jenkins to GitHub Actions. Olu set up the self-hosted runners. "
          "Help me port the Jenkinsfile."),
        T("read", {"file_path": "Jenkinsfile"}, Out("""
            pipeline {
              agent { label 'python' }
              stages {
                stage('Install') { steps { sh 'poetry install --no-interaction' } }
                stage('Lint')    { steps { sh 'make lint' } }
                stage('Unit')    { steps { sh 'make test' } }
                stage('Integration') {
                  steps { sh 'docker compose up -d db redis && make test-integration' }
                }
              }
              post { always { junit 'reports/*.xml' } }
            }
        """)),
        T("write", {"file_path": ".github/workflows/ci.yml", "content": "name: ci\non:\n  push:\n    branches: [master, main]\n  pull_request:\njobs:\n  test:\n    runs-on: [self-hosted, linux, x64]\n    services:\n      postgres:\n        image: postgres:14\n        env: {POSTGRES_PASSWORD: postgres}\n        ports: [\"5433:5432\"]\n      redis:\n        image: redis:7\n    steps:\n      - uses: actions/checkout@v4\n      - uses: actions/setup-python@v5\n        with: {python-version: \"3.11\"}\n      - run: pipx install poetry && poetry install --no-interaction\n      - run: make lint\n      - run: make test\n      - run: make test-integration\n"},
          "File created successfully at: .github/workflows/ci.yml"),
        A("Same stages as Jenkins: lint, unit, integration. Postgres and Redis run as service containers; the "
          "triggers cover both `master` and `main` since you mentioned a rename."),
        T("bash", {"command": "git push -u origin ci/github-actions && gh run watch --exit-status"}, Out("""
            ✓ ci/github-actions ci · 8942113577
            Triggered via push about 11 minutes ago

            JOBS
            ✓ test in 11m02s (ID 24551870031)
              ✓ Set up job
              ✓ Initialize containers
              ✓ Run actions/checkout@v4
              ✓ Run pipx install poetry && poetry install --no-interaction
              ✓ Run make lint
              ✓ Run make test
              ✓ Run make test-integration
              ✓ Complete job
        """)),
        A("Green on the first run, 11 minutes."),
        U("Sweet. Once it's merged we retire Jenkins. Next week we rename master to main, so keep both in the "
          "triggers for now, like you did."),
        U("Does the 85% coverage gate carry over?"),
        T("edit", {"file_path": ".github/workflows/ci.yml",
                   "old_string": "      - run: make test\n",
                   "new_string": "      - run: make test PYTEST_ADDOPTS=\"--cov=ledgerline --cov-fail-under=85\"\n"},
          "The file .github/workflows/ci.yml has been updated."),
        A("It does now: `--cov-fail-under=85` on the unit stage, same as the Jenkins gate."),
        U("Open the PR and add Olu."),
        T("bash", {"command": "gh pr create --title 'ci: move from Jenkins to GitHub Actions' --body 'Ports the Jenkinsfile stages. Jenkins job can be disabled after merge.' --reviewer olu-adeyemi"},
          "https://github.com/quillstone/ledgerline/pull/571"),
    ]),

    S("22", "actions-cache-poetry", "2026-05-07T14:20:00Z", "Speed up GitHub Actions with caching", [
        U("CI on Actions takes 11-14 minutes, mostly poetry install. Can we cache it?"),
        T("bash", {"command": "gh run view 8963310452 --log | grep -E 'Run pipx|Installing the current project' | head -3"}, Out("""
            test	Run pipx install poetry && poetry install --no-interaction	2026-05-07T17:58:02.1184410Z
            test	Installing the current project: ledgerline (0.44.0)	2026-05-07T18:03:47.9052215Z
        """)),
        A("Install takes almost 6 minutes. Caching the virtualenv keyed on `poetry.lock` should cut most of that."),
        T("edit", {"file_path": ".github/workflows/ci.yml",
                   "old_string": "      - run: pipx install poetry && poetry install --no-interaction\n",
                   "new_string": "      - run: pipx install poetry && poetry config virtualenvs.in-project true\n      - uses: actions/cache@v4\n        with:\n          path: .venv\n          key: venv-${{ runner.os }}-py3.11-${{ hashFiles('poetry.lock') }}\n      - run: poetry install --no-interaction\n"},
          "The file .github/workflows/ci.yml has been updated."),
        T("bash", {"command": "git commit -am 'ci: cache the poetry virtualenv' && git push && gh run watch --exit-status | tail -4"}, Out("""
            [ci/cache-venv 2b77c10] ci: cache the poetry virtualenv
             1 file changed, 6 insertions(+), 1 deletion(-)
              ✓ Run make test-integration
              ✓ Post Run actions/cache@v4
              ✓ Complete job
            ✓ ci/cache-venv ci · 8963992108 (6m11s)
        """)),
        A("Second run with a warm cache: 6m11s, down from ~11."),
        U("Much better. Unrelated: is it just me or does the new GitHub dark theme look way too purple?"),
        A("It does lean purple. There's a \"Dark dimmed\" option in Settings → Appearance if it bothers you."),
        U("Ha, switched. OK, merging this once someone approves."),
    ]),

    S("23", "master-to-main-rename", "2026-05-12T11:30:00Z", "Fallout from renaming master to main", [
        U("We renamed master to main this morning. My local clone is confused."),
        T("bash", {"command": "git branch -m master main && git fetch origin && git branch -u origin/main main && git remote set-head origin -a"}, Out("""
            From github.com:quillstone/ledgerline
             * [new branch]      main       -> origin/main
             - [deleted]         (none)     -> origin/master
            branch 'main' set up to track 'origin/main'.
            origin/HEAD set to main
        """)),
        T("bash", {"command": "git status -sb | head -1"}, "## main...origin/main"),
        A("Local `main` now tracks `origin/main` and `origin/HEAD` points at it."),
        U("Now rebase my branch feat/LL-466-tax-engine-v2 on main and push it. Remember: --force-with-lease, "
          "not --force.", "M-lease"),
        T("bash", {"command": "git switch feat/LL-466-tax-engine-v2 && git rebase origin/main"}, Out("""
            Switched to branch 'feat/LL-466-tax-engine-v2'
            Successfully rebased and updated refs/heads/feat/LL-466-tax-engine-v2.
        """)),
        T("bash", {"command": "git push --force-with-lease"}, Out("""
            To github.com:quillstone/ledgerline.git
             + 61ad0e2...c93f7b4 feat/LL-466-tax-engine-v2 -> feat/LL-466-tax-engine-v2 (forced update)
        """)),
        U("Also, the CI workflow still lists master in the triggers, drop it."),
        T("edit", {"file_path": ".github/workflows/ci.yml",
                   "old_string": "    branches: [master, main]",
                   "new_string": "    branches: [main]"},
          "The file .github/workflows/ci.yml has been updated."),
        U("Olu already switched Argo CD to track main, so deploys are fine."),
        A("Good. Then only local clones and open PR bases needed updating, and GitHub retargets open PRs automatically."),
    ]),

    S("24", "tax-engine-v2-flag", "2026-05-14T09:45:00Z", "Feature flag for tax engine v2", [
        U("The new tax engine goes behind an Unleash flag too: tax-engine-v2, default off. Same as always, every "
          "new behaviour ships behind a flag.", "M-unleash"),
        T("edit", {"file_path": "ledgerline/billing/tax.py",
                   "old_string": "def compute_tax(line: InvoiceLine, jurisdiction: Jurisdiction) -> int:\n",
                   "new_string": "def compute_tax(line: InvoiceLine, jurisdiction: Jurisdiction) -> int:\n    if is_enabled(\"tax-engine-v2\", account_id=str(line.invoice.account_id)):\n        return compute_tax_v2(line, jurisdiction)\n"},
          "The file ledgerline/billing/tax.py has been updated."),
        T("bash", {"command": "make lint && make test"}, Out("""
            poetry run ruff check .
            All checks passed!
            poetry run ruff format --check .
            Would reformat: ledgerline/billing/tax.py
            1 file would be reformatted, 220 files already formatted
            make: *** [lint] Error 1
        """), err=True),
        A("My edit left a line ruff format would wrap; formatting the file and re-running."),
        T("bash", {"command": "poetry run ruff format ledgerline/billing/tax.py && make lint && make test"}, Out("""
            1 file reformatted
            All checks passed!
            221 files already formatted
            Success: no issues found in 135 source files
            poetry run pytest -m "not integration" -q
            ...................................................................... [100%]
            192 passed in 15.80s
        """)),
        U("Merge #588 with squash once it's green. Squash merges only, please, always.", "M-squash"),
        T("bash", {"command": "gh pr merge 588 --squash --auto"},
          "✓ Pull request quillstone/ledgerline#588 will be automatically merged via squash when all requirements are met"),
        A("Auto-merge (squash) is set on #588."),
        U("Thanks. And keep it brief today, I'm in back-to-back meetings."),
        A("👍"),
    ]),

    S("25", "tax-rounding-half-up", "2026-05-19T15:30:00Z", "Tax rounding: half-up per line", [
        U("Finance confirmed: tax amounts are rounded half-up per line, NOT half-even like invoice line "
          "amounts. Implement that in tax engine v2."),
        T("read", {"file_path": "ledgerline/billing/tax.py", "offset": 30, "limit": 8}, Out("""
            def compute_tax_v2(line: InvoiceLine, jurisdiction: Jurisdiction) -> int:
                rate = jurisdiction.rate_for(line.tax_code)
                return round_cents(line.amount * rate)
        """)),
        A("v2 currently reuses `round_cents`, which is half-even. I'll add `round_tax_cents` with `ROUND_HALF_UP` "
          "next to it in `ledgerline/money.py`."),
        T("edit", {"file_path": "ledgerline/money.py",
                   "old_string": "from decimal import ROUND_HALF_EVEN, Decimal\n",
                   "new_string": "from decimal import ROUND_HALF_EVEN, ROUND_HALF_UP, Decimal\n"},
          "The file ledgerline/money.py has been updated."),
        T("edit", {"file_path": "ledgerline/money.py",
                   "old_string": "    return int((amount * 100).quantize(Decimal(\"1\"), rounding=ROUND_HALF_EVEN))\n",
                   "new_string": "    return int((amount * 100).quantize(Decimal(\"1\"), rounding=ROUND_HALF_EVEN))\n\n\ndef round_tax_cents(amount: Decimal) -> int:\n    \"\"\"Round a tax amount to integer cents, half-up (finance rule for tax lines).\n\n    Args:\n        amount: Tax in major units.\n    \"\"\"\n    return int((amount * 100).quantize(Decimal(\"1\"), rounding=ROUND_HALF_UP))\n"},
          "The file ledgerline/money.py has been updated."),
        T("edit", {"file_path": "ledgerline/billing/tax.py",
                   "old_string": "    return round_cents(line.amount * rate)",
                   "new_string": "    return round_tax_cents(line.amount * rate)"},
          "The file ledgerline/billing/tax.py has been updated."),
        T("bash", {"command": "poetry run pytest tests/unit/billing/test_tax.py tests/unit/test_money.py -q"}, Out("""
            ..................
            18 passed in 0.44s
        """)),
        U("Add a test that pins the difference: 0.125 should be 13 cents for tax and 12 for a line amount."),
        T("edit", {"file_path": "tests/unit/test_money.py",
                   "old_string": "# --- tax ---\n",
                   "new_string": "# --- tax ---\n\n\ndef test_tax_rounds_half_up_but_lines_half_even() -> None:\n    assert round_tax_cents(Decimal(\"0.125\")) == 13\n    assert round_cents(Decimal(\"0.125\")) == 12\n"},
          "The file tests/unit/test_money.py has been updated."),
        T("bash", {"command": "poetry run pytest tests/unit/test_money.py -q"}, Out("""
            ........
            8 passed in 0.12s
        """)),
        U("That's the one. Thanks."),
    ]),

    S("26", "ledger-events-currency", "2026-05-26T10:15:00Z", "Add a currency column to ledger_events", [
        U("Multi-currency: we need a currency column on ledger_events. Before you write the migration, ping "
          "Jonas in #data-eng, ledger_events changes always need his heads-up.", "M-jonas"),
        A("Draft for #data-eng:\n\n> Hi Jonas, heads-up: we're adding `ledger_events.currency` (CHAR(3), ISO "
          "4217, default 'CAD' for existing rows) in the release after next. Nothing is renamed or dropped. "
          "Shout if the warehouse sync needs anything."),
        U("Sent. He says fine, as long as the default is there from day one."),
        T("bash", {"command": "poetry run alembic revision -m 'ledger_events currency'"},
          "  Generating /Users/priya/code/ledgerline/ledgerline/db/migrations/versions/0058_ledger_events_currency.py ...  done"),
        T("edit", {"file_path": "ledgerline/db/migrations/versions/0058_ledger_events_currency.py",
                   "old_string": "def upgrade() -> None:\n    pass",
                   "new_string": "def upgrade() -> None:\n    op.add_column(\n        \"ledger_events\",\n        sa.Column(\"currency\", sa.CHAR(3), nullable=False, server_default=\"CAD\"),\n    )"},
          "The file ledgerline/db/migrations/versions/0058_ledger_events_currency.py has been updated."),
        T("bash", {"command": "docker compose up -d db && poetry run alembic upgrade head"}, Out("""
            [+] Running 1/1
             ✔ Container ledgerline-db-1  Running
            INFO  [alembic.runtime.migration] Context impl PostgresqlImpl.
            INFO  [alembic.runtime.migration] Will assume transactional DDL.
            INFO  [alembic.runtime.migration] Running upgrade 0057_refund_reasons -> 0058_ledger_events_currency, ledger_events currency
        """)),
        A("Applied locally. On Postgres 11+ adding a column with a constant default doesn't rewrite the table, "
          "so this is safe on 40M rows."),
        U("Migration test too, please."),
        T("write", {"file_path": "tests/migrations/test_0058_ledger_events_currency.py", "content": "def test_existing_rows_get_cad(migrator):\n    migrator.upgrade(\"0057_refund_reasons\")\n    migrator.execute(\"INSERT INTO ledger_events (id, kind, amount, amount_cents) VALUES (gen_random_uuid(), 'charge', 100, 100)\")\n    migrator.upgrade(\"0058_ledger_events_currency\")\n    assert migrator.scalar(\"SELECT currency FROM ledger_events\") == \"CAD\"\n"},
          "File created successfully at: tests/migrations/test_0058_ledger_events_currency.py"),
        T("bash", {"command": "poetry run pytest tests/migrations -q -m integration"}, Out("""
            ..........
            10 passed in 9.84s
        """)),
        U("Good. Mei reviews this one."),
        T("bash", {"command": "gh pr create --title 'feat(ledger): currency column on ledger_events' --body 'Additive, default CAD. Jonas (data) acked in #data-eng.' --reviewer meichen-qs"},
          "https://github.com/quillstone/ledgerline/pull/603"),
    ]),

    S("27", "postgres-16-prep", "2026-06-02T13:50:00Z", "Prepare for the Postgres 16 upgrade", [
        U("Tomorrow Olu upgrades prod Postgres from 14 to 16 (RDS blue/green). Can you check we don't depend on "
          "anything that changed?"),
        T("grep", {"pattern": "pg_stat_statements|to_tsvector|\\bhstore\\b|postgresql_using|::money", "path": "ledgerline/"}, Out("""
            ledgerline/db/migrations/versions/0012_invoice_search.py:14:    op.execute("CREATE INDEX ix_invoices_search ON invoices USING gin (to_tsvector('english', number || ' ' || coalesce(po_number, '')))")
        """)),
        A("Only a full-text index, which works unchanged on 16. No `money` type, no extensions that changed "
          "between 14 and 16. The main thing to run is the integration suite against a 16 container."),
        T("bash", {"command": "sed -i '' 's/image: postgres:14/image: postgres:16/' docker-compose.yml && docker compose up -d --force-recreate db && make migrate && make test-integration"}, Out("""
            [+] Running 1/1
             ✔ Container ledgerline-db-1  Started
            poetry run alembic upgrade head
            INFO  [alembic.runtime.migration] Running upgrade 0058_ledger_events_currency -> 0059_refund_proration, refund proration
            poetry run pytest -m integration -q
            ........................................................................ [ 78%]
            ....................                                                     [100%]
            92 passed in 71.40s (0:01:11)
        """)),
        A("Full migration chain and all 92 integration tests pass on Postgres 16."),
        U("Great. Keep local compose on 16 then, and bump the CI service image too."),
        T("edit", {"file_path": ".github/workflows/ci.yml",
                   "old_string": "        image: postgres:14",
                   "new_string": "        image: postgres:16"},
          "The file .github/workflows/ci.yml has been updated."),
        T("bash", {"command": "git add docker-compose.yml .github/workflows/ci.yml && make lint && git commit -m 'chore(db): run local and CI Postgres on 16'"}, Out("""
            All checks passed!
            224 files already formatted
            Success: no issues found in 137 source files
            [chore/pg16 fa02c1d] chore(db): run local and CI Postgres on 16
             2 files changed, 2 insertions(+), 2 deletions(-)
        """)),
        U("Thanks. Fingers crossed for tomorrow."),
    ]),

    S("28", "slow-report-after-pg16", "2026-06-04T10:10:00Z", "Slow invoice report after the Postgres 16 upgrade", [
        U("Upgrade went fine yesterday, prod is on Postgres 16. But the monthly invoice report endpoint is slow, "
          "like 20s."),
        T("bash", {"command": "psql \"$LEDGERLINE_REPLICA_URL\" -c \"EXPLAIN (ANALYZE, BUFFERS) SELECT account_id, sum(total_cents) FROM invoices WHERE period_start >= '2026-05-01' GROUP BY account_id\" | tail -4"}, Out("""
                     ->  Seq Scan on invoices  (cost=0.00..412733.10 rows=1 width=24) (actual time=0.041..18122.590 rows=211044 loops=1)
                           Filter: (period_start >= '2026-05-01'::date)
             Planning Time: 0.210 ms
             Execution Time: 18640.322 ms
        """)),
        A("Estimated 1 row, actual 211k: the planner has no statistics. After a major-version upgrade the "
          "optimizer stats aren't carried over, so an `ANALYZE` is needed."),
        U("Olu is running ANALYZE on the primary now. But wait, why does the endpoint feel slow at all, it "
          "should be on the replica. Remember: reporting queries go to the read replica "
          "(ledgerline-replica.prod.internal), writes to the primary (ledgerline-primary.prod.internal)."),
        T("grep", {"pattern": "get_session|get_replica_session", "path": "ledgerline/api/routes/reports.py"}, Out("""
            ledgerline/api/routes/reports.py:12:from ledgerline.db.session import get_session
            ledgerline/api/routes/reports.py:41:    session: AsyncSession = Depends(get_session),
        """)),
        A("The report route uses `get_session`, i.e. the primary. Switching it to the replica dependency."),
        T("edit", {"file_path": "ledgerline/api/routes/reports.py",
                   "old_string": "    session: AsyncSession = Depends(get_session),",
                   "new_string": "    session: AsyncSession = Depends(get_replica_session),"},
          "The file ledgerline/api/routes/reports.py has been updated."),
        T("bash", {"command": "make lint && make test"}, Out("""
            All checks passed!
            224 files already formatted
            Success: no issues found in 137 source files
            poetry run pytest -m "not integration" -q
            ...................................................................... [100%]
            201 passed in 16.12s
        """)),
        U("Good. Post-ANALYZE the query is 300ms btw."),
        A("That confirms the stale statistics, and the route now reads from the replica as well."),
    ]),

    S("29", "structlog-celery-context", "2026-06-09T16:00:00Z", "Bind Celery task ids into log context", [
        U("Log lines from Celery tasks don't have the task_id, which makes Loki useless during incidents. Can we bind it?"),
        T("read", {"file_path": "ledgerline/logging.py"}, Out("""
            import structlog


            def configure_logging() -> None:
                structlog.configure(
                    processors=[
                        structlog.processors.add_log_level,
                        structlog.processors.TimeStamper(fmt="iso"),
                        structlog.processors.JSONRenderer(),
                    ]
                )
        """)),
        A("I'll add `merge_contextvars` to the processor chain and bind `task_id`/`task_name` in a "
          "`task_prerun` signal handler, clearing them in `task_postrun`."),
        T("edit", {"file_path": "ledgerline/logging.py",
                   "old_string": "        processors=[\n            structlog.processors.add_log_level,",
                   "new_string": "        processors=[\n            structlog.contextvars.merge_contextvars,\n            structlog.processors.add_log_level,"},
          "The file ledgerline/logging.py has been updated."),
        T("edit", {"file_path": "ledgerline/tasks/celery_app.py",
                   "old_string": "celery_app = Celery(\"ledgerline\")\n",
                   "new_string": "celery_app = Celery(\"ledgerline\")\n\n\n@task_prerun.connect\ndef _bind_task(task_id: str, task: Task, **_: object) -> None:\n    print(\"binding\", task_id)\n    structlog.contextvars.bind_contextvars(task_id=task_id, task_name=task.name)\n\n\n@task_postrun.connect\ndef _unbind_task(**_: object) -> None:\n    structlog.contextvars.clear_contextvars()\n"},
          "The file ledgerline/tasks/celery_app.py has been updated."),
        U("No print(), use the structlog logger. That's the third time I'm saying it 🙂", "M-structlog"),
        T("edit", {"file_path": "ledgerline/tasks/celery_app.py",
                   "old_string": "    print(\"binding\", task_id)\n",
                   "new_string": ""},
          "The file ledgerline/tasks/celery_app.py has been updated."),
        T("bash", {"command": "poetry run celery -A ledgerline.tasks.celery_app worker -l info -P solo & sleep 5; poetry run python -c \"from ledgerline.tasks.invoices import generate_invoice_pdf; generate_invoice_pdf.delay('7f3c2a10-5d1e-4c57-9a0b-3e8f1c2d4b61')\"; sleep 4; kill %1"}, Out("""
            {"invoice_id": "7f3c2a10-5d1e-4c57-9a0b-3e8f1c2d4b61", "size": 48213, "event": "invoice.html_rendered", "task_id": "0d6f3b2e-9c1a-4e8b-a7d5-3f2e1c0b9a87", "task_name": "ledgerline.tasks.invoices.generate_invoice_pdf", "level": "debug", "timestamp": "2026-06-09T20:14:03.112Z"}
            {"invoice_id": "7f3c2a10-5d1e-4c57-9a0b-3e8f1c2d4b61", "event": "invoice.pdf_uploaded", "task_id": "0d6f3b2e-9c1a-4e8b-a7d5-3f2e1c0b9a87", "task_name": "ledgerline.tasks.invoices.generate_invoice_pdf", "level": "info", "timestamp": "2026-06-09T20:14:04.870Z"}
        """)),
        A("Every log line inside a task now carries `task_id` and `task_name`. In Loki: "
          "`{app=\"ledgerline\"} | json | task_id=\"...\"`."),
        U("Lovely. Ship it."),
    ]),

    S("30", "invoice-rounding-third-flake", "2026-06-16T11:20:00Z", "test_invoice_rounding flaked a third time", [
        U("test_invoice_rounding flaked again on Actions, the third time now, even with reruns=2. It's flaky in "
          "a new way.", "M-flaky"),
        T("bash", {"command": "gh run view 9310447781 --log-failed | grep -B2 -A8 'test_invoice_rounding'"}, Out("""
            test	FAILED tests/unit/billing/test_invoices.py::test_invoice_rounding - assert 11300 == 11299
            test	  invoice = invoice_factory(lines=3, with_tax=True)
            test	  jurisdiction = <Jurisdiction ON rate=0.13 effective_from=2026-06-16>
            test	  ...
            test	RERUN tests/unit/billing/test_invoices.py::test_invoice_rounding
            test	RERUN tests/unit/billing/test_invoices.py::test_invoice_rounding
            test	=========================== 1 failed, 203 passed, 2 rerun in 17.90s ===========================
        """), err=True),
        A("The factory builds the jurisdiction with `effective_from=date.today()` but the invoice dates use UTC. "
          "The run started at 00:04 UTC, so `date.today()` on the runner and the invoice date disagreed and a "
          "different tax rate applied."),
        U("Let's freeze time in that test then. With time-machine, not freezegun.", "M-timemachine"),
        T("edit", {"file_path": "tests/unit/billing/test_invoices.py",
                   "old_string": "@pytest.mark.flaky(reruns=2)  # LL-447: tax half-cent rounding, see ticket\ndef test_invoice_rounding(invoice_factory):",
                   "new_string": "@pytest.mark.flaky(reruns=2)  # LL-447: tax half-cent rounding, see ticket\n@time_machine.travel(datetime(2026, 6, 15, 12, 0, tzinfo=UTC), tick=False)\ndef test_invoice_rounding(invoice_factory):"},
          "The file tests/unit/billing/test_invoices.py has been updated."),
        T("bash", {"command": "poetry run pytest tests/unit/billing/test_invoices.py -k test_invoice_rounding --count=300 -q -p no:rerunfailures"}, Out("""
            ........................................................................ [ 24%]
            ........................................................................ [ 48%]
            ........................................................................ [ 72%]
            ........................................................................ [ 96%]
            ............                                                             [100%]
            300 passed in 17.02s
        """)),
        A("300 runs without reruns, no failures."),
        U("Leave the flaky marker on for now. I'm not convinced it's the last cause."),
        A("Leaving it. LL-447 stays open for the half-cent tax case."),
    ]),
]

CODING_SESSIONS += [
    S("31", "deploy-window-canary", "2026-06-23T09:30:00Z", "When is the next production deploy?", [
        U("When's the next prod deploy? I want LL-477 (refund proration) out this week."),
        T("bash", {"command": "gh pr view 612 --json state,mergedAt,title"}, Out("""
            {
              "mergedAt": "2026-06-22T19:41:08Z",
              "state": "MERGED",
              "title": "feat(refunds): prorate refunds for mid-period cancellations (LL-477)"
            }
        """)),
        A("#612 was merged yesterday at 15:41 Eastern. Production deploys are Tuesdays and Thursdays, so it "
          "goes out with today's train."),
        T("bash", {"command": "argocd app get ledgerline-prod --show-operation | head -12"}, Out("""
            Name:               argocd/ledgerline-prod
            Project:            billing
            Server:             https://kubernetes.default.svc
            Namespace:          ledgerline
            URL:                https://argocd.quillstone.internal/applications/ledgerline-prod
            Target:             main
            Sync Policy:        Manual
            Sync Status:        OutOfSync from main (3e1a9c4)
            Health Status:      Healthy

            Operation:          Sync
            Phase:              Succeeded
        """)),
        A("`ledgerline-prod` is OutOfSync with `main` at `3e1a9c4`, which includes #612. It will go out when "
          "the train syncs; the `ledgerline-migrate` hook runs migration 0059 first."),
        U("OK. Olu is adding a canary step with Argo Rollouts. Once that's in we might change how often we deploy."),
        A("Makes sense. With an automated canary analysis, deploying every merge becomes much less risky."),
        U("Anything in 0059 that could lock for long?"),
        T("read", {"file_path": "ledgerline/db/migrations/versions/0059_refund_proration.py", "offset": 10, "limit": 8}, Out("""
            def upgrade() -> None:
                op.add_column("refunds", sa.Column("prorated_from", sa.Date(), nullable=True))
                op.add_column("refunds", sa.Column("prorated_days", sa.Integer(), nullable=True))
        """)),
        A("Two nullable columns without defaults: metadata-only changes, no table rewrite."),
        U("Perfect, thanks."),
    ]),

    S("32", "oncall-handover", "2026-07-01T14:00:00Z", "On-call handover and runbook update", [
        U("Hannah took over the on-call rotation schedule from Olu as of today, she owns the PagerDuty "
          "schedules now. Can you update docs/oncall.md?"),
        T("read", {"file_path": "docs/oncall.md", "limit": 12}, Out("""
            # On-call

            Schedule owner: Olu Adeyemi (platform). Ask Olu for swaps and overrides.

            PagerDuty service: ledgerline-prod
            Escalation: primary (15 min) → secondary (15 min) → engineering manager

            ## Stripe outages
            1. Check https://status.stripe.com
            2. Pause `sync_stripe_events` with `celery -A ledgerline.tasks.celery_app control cancel_consumer stripe`
            3. Post in #billing-incidents
        """)),
        T("edit", {"file_path": "docs/oncall.md",
                   "old_string": "Schedule owner: Olu Adeyemi (platform). Ask Olu for swaps and overrides.",
                   "new_string": "Schedule owner: Hannah Kowalski (since 2026-07-01). Ask Hannah for swaps and overrides."},
          "The file docs/oncall.md has been updated."),
        A("Updated the owner line."),
        U("I'm primary next week. Remind me what to do if Stripe goes down?"),
        A("From the runbook: check status.stripe.com, pause the Stripe sync consumer with "
          "`celery -A ledgerline.tasks.celery_app control cancel_consumer stripe`, and post in "
          "#billing-incidents. Webhooks queue up on Stripe's side and are retried for up to three days, so "
          "nothing is lost while the consumer is paused."),
        U("And the pages come in Eastern time, right? PagerDuty had me on UTC once."),
        T("bash", {"command": "pd user get --email priya.raman@quillstone.com --json | jq -r .time_zone"},
          "America/Toronto"),
        A("Your PagerDuty profile is on America/Toronto."),
        U("Good. Also Olu is still the platform person for anything infra, just not the schedule."),
        A("Understood: Hannah owns the on-call schedule; Olu still owns the platform and Terraform side."),
        T("bash", {"command": "git commit -am 'docs(oncall): Hannah owns the rotation schedule' && git push"}, Out("""
            [docs/oncall-owner 44e0b7a] docs(oncall): Hannah owns the rotation schedule
             1 file changed, 1 insertion(+), 1 deletion(-)
        """)),
    ]),

    S("33", "stripe-api-version-bump", "2026-07-07T10:40:00Z", "Bump the Stripe API version", [
        U("Stripe deprecates our API version in September. Bump STRIPE_API_VERSION to 2026-06-30."),
        T("grep", {"pattern": "STRIPE_API_VERSION", "path": "."}, Out("""
            ledgerline/settings.py:48:    STRIPE_API_VERSION: str = "2025-09-30"
            ledgerline/webhooks/stripe.py:15:stripe.api_version = settings.STRIPE_API_VERSION
            tests/integration/test_stripe_sync.py:9:    assert stripe.api_version == settings.STRIPE_API_VERSION
        """)),
        T("edit", {"file_path": "ledgerline/settings.py",
                   "old_string": "    STRIPE_API_VERSION: str = \"2025-09-30\"",
                   "new_string": "    STRIPE_API_VERSION: str = \"2026-06-30\""},
          "The file ledgerline/settings.py has been updated."),
        T("bash", {"command": "poetry run pytest tests/integration/test_stripe_sync.py -m integration -q"}, Out("""
            E   sqlalchemy.exc.OperationalError: (psycopg.OperationalError) connection failed: connection to server at "127.0.0.1", port 5433 failed: Connection refused
            1 error in 0.71s
        """), err=True),
        A("The integration tests need the docker-compose Postgres; it isn't running."),
        T("bash", {"command": "docker compose up -d db redis && poetry run pytest tests/integration/test_stripe_sync.py -m integration -q"}, Out("""
            [+] Running 2/2
             ✔ Container ledgerline-db-1     Started
             ✔ Container ledgerline-redis-1  Started
            .......F
            FAILED tests/integration/test_stripe_sync.py::test_invoice_finalized_payload - KeyError: 'payment_intent'
            1 failed, 7 passed in 6.12s
        """), err=True),
        A("In the new version, invoice objects no longer carry `payment_intent` directly; it moved under "
          "`payments.data[].payment.payment_intent`. Our sync reads it in one place."),
        T("edit", {"file_path": "ledgerline/tasks/stripe_sync.py",
                   "old_string": "    intent_id = obj[\"payment_intent\"]",
                   "new_string": "    payments = obj.get(\"payments\", {}).get(\"data\", [])\n    intent_id = payments[0][\"payment\"][\"payment_intent\"] if payments else None"},
          "The file ledgerline/tasks/stripe_sync.py has been updated."),
        T("bash", {"command": "poetry run pytest tests/integration/test_stripe_sync.py -m integration -q"}, Out("""
            ........
            8 passed in 5.88s
        """)),
        U("Nice catch. Does the webhook endpoint in the Stripe dashboard need the version bumped too?"),
        A("Yes: webhook payloads use the endpoint's configured version, not ours. Bump staging first, then "
          "production, or `handle_event` will see old-shape payloads."),
        U("I'll do it in the dashboard after lunch."),
    ]),

    S("34", "lint-failure-on-main", "2026-07-14T15:15:00Z", "main is red: a commit skipped lint", [
        U("main is red and it's my fault, sort of: you committed the refund fix for me yesterday without running "
          "make lint. Please always run make lint before you commit. Every time.", "M-lint"),
        T("bash", {"command": "make lint"}, Out("""
            poetry run ruff check .
            All checks passed!
            poetry run ruff format --check .
            226 files already formatted
            poetry run mypy ledgerline
            ledgerline/billing/refunds.py:58: error: Argument 1 to "round_cents" has incompatible type "float"; expected "Decimal"  [arg-type]
            Found 1 error in 1 file (checked 139 source files)
            make: *** [lint] Error 1
        """), err=True),
        A("You're right, I skipped it. The issue is real too: `prorate()` divides two ints with `/`, which gives "
          "a float, and passes it to `round_cents`."),
        T("read", {"file_path": "ledgerline/billing/refunds.py", "offset": 52, "limit": 8}, Out("""
            def prorate(amount_cents: int, used_days: int, period_days: int) -> int:
                \"\"\"Refund for the unused part of a period, in cents.\"\"\"
                unused = period_days - used_days
                share = amount_cents * unused / period_days
                return round_cents(share / 100)
        """)),
        T("edit", {"file_path": "ledgerline/billing/refunds.py",
                   "old_string": "    share = amount_cents * unused / period_days\n    return round_cents(share / 100)",
                   "new_string": "    share = Decimal(amount_cents * unused) / Decimal(period_days)\n    return round_cents(share / 100)"},
          "The file ledgerline/billing/refunds.py has been updated."),
        T("bash", {"command": "make lint && make test"}, Out("""
            All checks passed!
            226 files already formatted
            Success: no issues found in 139 source files
            poetry run pytest -m "not integration" -q
            ...................................................................... [100%]
            214 passed in 17.44s
        """)),
        T("bash", {"command": "git switch -c fix/LL-489-prorate-decimal && git commit -am 'fix(refunds): prorate with Decimal, not float' && gh pr create --fill"}, Out("""
            Switched to a new branch 'fix/LL-489-prorate-decimal'
            [fix/LL-489-prorate-decimal 0b3d9e1] fix(refunds): prorate with Decimal, not float
             1 file changed, 1 insertion(+), 1 deletion(-)
            https://github.com/quillstone/ledgerline/pull/641
        """)),
        U("Squash-merge it when CI passes, as usual.", "M-squash"),
        T("bash", {"command": "gh pr merge 641 --squash --auto --delete-branch"},
          "✓ Pull request quillstone/ledgerline#641 will be automatically merged via squash when all requirements are met"),
        A("Auto-merge with squash is on for #641."),
        U("Thanks. And sorry for snapping."),
        A("No problem, it was my miss."),
    ]),

    S("35", "staging-db-moved", "2026-07-21T11:00:00Z", "Staging database moved to a new host", [
        U("Heads up, we moved the staging DB to staging-db-2.internal last week. My psql alias still points to "
          "the old one, and so does the seed script I think.", "B-staging"),
        T("grep", {"pattern": "staging-db\\.internal", "path": "."}, Out("""
            scripts/seed_staging.py:11:STAGING_HOST = "staging-db.internal"
            docs/environments.md:6:- Database: staging-db.internal:5432 (VPN required, read-only role `ll_readonly`)
            .envrc.example:4:export LEDGERLINE_STAGING_RO_URL=postgresql://ll_readonly@staging-db.internal:5432/ledgerline
        """)),
        T("bash", {"command": "sed -i '' 's/staging-db\\.internal/staging-db-2.internal/g' scripts/seed_staging.py docs/environments.md .envrc.example && git diff --stat"}, Out("""
             .envrc.example          | 2 +-
             docs/environments.md    | 2 +-
             scripts/seed_staging.py | 2 +-
             3 files changed, 3 insertions(+), 3 deletions(-)
        """)),
        T("bash", {"command": "psql -h staging-db-2.internal -p 5432 -U ll_readonly ledgerline -Atc 'select version()'"},
          "PostgreSQL 16.3 on x86_64-pc-linux-gnu, compiled by gcc (GCC) 12.4.0, 64-bit"),
        A("Updated the three references and the new host answers (Postgres 16.3). Your own `.envrc` isn't in the "
          "repo; change `LEDGERLINE_STAGING_RO_URL` there too and run `direnv allow`."),
        U("Done. Wait, is .envrc ignored? I don't want it showing up in a commit."),
        T("bash", {"command": "git check-ignore -v .envrc .env"}, Out("""
            .gitignore:14:.envrc	.envrc
            .gitignore:15:.env	.env
        """)),
        A("Both `.envrc` and `.env` are in `.gitignore`; only `.envrc.example` is tracked."),
        U("Good. Never commit a .env or .envrc, ever. Commit the three files.", "K-env"),
        T("bash", {"command": "make lint && git commit -am 'chore(staging): point tooling at staging-db-2.internal'"}, Out("""
            All checks passed!
            226 files already formatted
            Success: no issues found in 139 source files
            [chore/staging-db-2 5e0a6f2] chore(staging): point tooling at staging-db-2.internal
             3 files changed, 3 insertions(+), 3 deletions(-)
        """)),
    ]),

    S("36", "neovim-lsp-setup", "2026-07-28T13:30:00Z", "Neovim LSP setup for ruff and basedpyright", [
        U("I switched to Neovim last month, so don't bother with VS Code settings.json stuff anymore. Can you "
          "help me get ruff and basedpyright working in my nvim config?", "B-editor"),
        T("read", {"file_path": "/Users/priya/.config/nvim/lua/plugins/lsp.lua"}, Out("""
            return {
              "neovim/nvim-lspconfig",
              config = function()
                local lsp = require("lspconfig")
                lsp.lua_ls.setup({})
              end,
            }
        """)),
        T("edit", {"file_path": "/Users/priya/.config/nvim/lua/plugins/lsp.lua",
                   "old_string": "    lsp.lua_ls.setup({})",
                   "new_string": "    lsp.lua_ls.setup({})\n    lsp.ruff.setup({})\n    lsp.basedpyright.setup({\n      settings = { basedpyright = { analysis = { typeCheckingMode = \"standard\" } } },\n    })"},
          "The file /Users/priya/.config/nvim/lua/plugins/lsp.lua has been updated."),
        T("bash", {"command": "which ruff basedpyright-langserver"}, Out("""
            /opt/homebrew/bin/ruff
            basedpyright-langserver not found
        """), err=True),
        T("bash", {"command": "pipx install basedpyright && which basedpyright-langserver"}, Out("""
              installed package basedpyright 1.31.0, installed using Python 3.12.4
              These apps are now globally available
                - basedpyright
                - basedpyright-langserver
            done! ✨ 🌟 ✨
            /Users/priya/.local/bin/basedpyright-langserver
        """)),
        U("I still want format on save with ruff, same as before."),
        T("write", {"file_path": "/Users/priya/.config/nvim/lua/plugins/format.lua", "content": "return {\n  \"stevearc/conform.nvim\",\n  opts = {\n    formatters_by_ft = { python = { \"ruff_organize_imports\", \"ruff_format\" } },\n    format_on_save = { timeout_ms = 1000, lsp_format = \"fallback\" },\n  },\n}\n"},
          "File created successfully at: /Users/priya/.config/nvim/lua/plugins/format.lua"),
        T("bash", {"command": "nvim --headless '+checkhealth vim.lsp' +qa 2>&1 | grep -E 'ruff|basedpyright'"}, Out("""
            - ✅ OK ruff: /opt/homebrew/bin/ruff
            - ✅ OK basedpyright: /Users/priya/.local/bin/basedpyright-langserver
        """)),
        A("Both servers are found. Format-on-save goes through conform.nvim with `ruff_organize_imports` then "
          "`ruff_format`."),
        U("Works in ledgerline. Nice, thanks!"),
    ]),

    S("37", "poetry-to-uv", "2026-08-04T10:20:00Z", "Migrate ledgerline from Poetry to uv", [
        U("We're dropping Poetry, ledgerline moves to uv today. Convert pyproject, update the Makefile and CI."),
        T("bash", {"command": "uvx migrate-to-uv"}, Out("""
            Locking dependencies with "uv lock"...
            Resolved 91 packages in 1.42s
            Successfully migrated project from Poetry to uv!
        """)),
        T("bash", {"command": "uv sync && uv run python -c 'import sqlalchemy, fastapi; print(sqlalchemy.__version__, fastapi.__version__)'"}, Out("""
            Using CPython 3.11.9
            Creating virtual environment at: .venv
            Resolved 91 packages in 12ms
            Installed 89 packages in 418ms
            2.0.41 0.116.1
        """)),
        T("bash", {"command": "sed -i '' 's/poetry run /uv run /g' Makefile && grep -n 'uv run' Makefile"}, Out("""
            8:	uv run uvicorn ledgerline.api.main:app --reload --port 8000
            11:	uv run pytest -m "not integration" -q
            14:	uv run pytest -m integration -q
            17:	uv run ruff check .
            18:	uv run ruff format --check .
            19:	uv run mypy ledgerline
            22:	uv run alembic upgrade head
        """)),
        U("Remember Makefile recipe lines need real tabs, check you didn't turn them into spaces.", "K-tabs"),
        T("bash", {"command": "grep -c $'^\\t' Makefile; grep -nE '^ {2,}[a-z]' Makefile || echo 'no space-indented recipe lines'"}, Out("""
            9
            no space-indented recipe lines
        """)),
        T("edit", {"file_path": ".github/workflows/ci.yml",
                   "old_string": "      - run: pipx install poetry && poetry config virtualenvs.in-project true\n      - uses: actions/cache@v4\n        with:\n          path: .venv\n          key: venv-${{ runner.os }}-py3.11-${{ hashFiles('poetry.lock') }}\n      - run: poetry install --no-interaction\n",
                   "new_string": "      - uses: astral-sh/setup-uv@v6\n        with: {enable-cache: true}\n      - run: uv sync --locked\n"},
          "The file .github/workflows/ci.yml has been updated."),
        T("bash", {"command": "make lint && make test"}, Out("""
            uv run ruff check .
            All checks passed!
            uv run ruff format --check .
            228 files already formatted
            uv run mypy ledgerline
            Success: no issues found in 140 source files
            uv run pytest -m "not integration" -q
            ...................................................................... [100%]
            219 passed in 16.31s
        """)),
        U("Nice. Delete poetry.lock and the poetry sections, and update the README setup steps to uv sync."),
        T("bash", {"command": "git rm -q poetry.lock && sed -i '' 's/`poetry install`/`uv sync`/' README.md && git status --short"}, Out("""
            M  .github/workflows/ci.yml
            M  Makefile
            M  README.md
            D  poetry.lock
            M  pyproject.toml
            A  uv.lock
        """)),
        U("Commit as chore(deps) and open the PR. SQLAlchemy went to 2.0.41, so the old pin is gone too, good riddance."),
        T("bash", {"command": "git commit -qm 'chore(deps): move from Poetry to uv' && gh pr create --fill --reviewer meichen-qs"},
          "https://github.com/quillstone/ledgerline/pull/655"),
    ]),

    S("38", "continuous-deploy", "2026-08-11T14:40:00Z", "Continuous deploys and the canary analysis template", [
        U("We dropped the Tuesday/Thursday release train: merges to main now deploy to production automatically "
          "once the canary passes. So no need to wait for a deploy window anymore.", "B-deploys"),
        A("Got it. So after a merge, the check is whether the Argo Rollouts canary succeeded, not which train "
          "it's on."),
        T("bash", {"command": "kubectl argo rollouts get rollout ledgerline-api -n ledgerline | head -14"}, Out("""
            Name:            ledgerline-api
            Namespace:       ledgerline
            Status:          ✔ Healthy
            Strategy:        Canary
              Step:          4/4
              SetWeight:     100
              ActualWeight:  100
            Images:          123456789012.dkr.ecr.ca-central-1.amazonaws.com/ledgerline:3b7f1e2 (stable)
            Replicas:
              Desired:       6
              Current:       6
              Updated:       6
              Ready:         6
              Available:     6
        """)),
        A("The last merge (`3b7f1e2`) went through all four canary steps and is fully promoted."),
        U("The canary analysis only checks 5xx rate right now. I want p95 latency too. The AnalysisTemplate is "
          "Terraform-managed in infra/, and Olu still owns the Terraform there, so draft the PR and tag him."),
        T("read", {"file_path": "infra/k8s/ledgerline/analysis.tf", "offset": 1, "limit": 14}, Out("""
            resource "kubernetes_manifest" "ledgerline_canary_analysis" {
              manifest = {
                apiVersion = "argoproj.io/v1alpha1"
                kind       = "AnalysisTemplate"
                metadata   = { name = "ledgerline-canary", namespace = "ledgerline" }
                spec = {
                  metrics = [{
                    name             = "error-rate"
                    interval         = "1m"
                    failureLimit     = 1
                    successCondition = "result[0] < 0.01"
                    provider = { prometheus = { address = var.prometheus_url, query = local.error_rate_query } }
                  }]
        """)),
        T("edit", {"file_path": "infra/k8s/ledgerline/analysis.tf",
                   "old_string": "                    provider = { prometheus = { address = var.prometheus_url, query = local.error_rate_query } }\n                  }]",
                   "new_string": "                    provider = { prometheus = { address = var.prometheus_url, query = local.error_rate_query } }\n                  }, {\n                    name             = \"p95-latency\"\n                    interval         = \"1m\"\n                    failureLimit     = 2\n                    successCondition = \"result[0] < 0.8\"\n                    provider = { prometheus = { address = var.prometheus_url, query = local.p95_latency_query } }\n                  }]"},
          "The file infra/k8s/ledgerline/analysis.tf has been updated."),
        T("bash", {"command": "cd infra && terraform fmt -check -recursive && terraform validate"}, Out("""
            Success! The configuration is valid.
        """)),
        T("bash", {"command": "git switch -c infra/canary-p95 && git commit -qam 'feat(infra): add p95 latency to the canary analysis' && gh pr create --fill --reviewer olu-adeyemi"},
          "https://github.com/quillstone/ledgerline/pull/662"),
        A("PR #662 is open with Olu as reviewer. It still needs `local.p95_latency_query`; I left a TODO in the "
          "description with the PromQL I'd suggest."),
        U("Great, he'll have opinions on the query anyway."),
    ]),

    S("39", "ledger-events-currency-backfill", "2026-08-18T09:55:00Z", "Backfill ledger_events.currency from invoices", [
        U("Time to backfill ledger_events.currency from the invoice currency. Jonas asked for a heads-up before "
          "we touch ledger_events again, so post in #data-eng first.", "M-jonas"),
        A("Draft:\n\n> Hi Jonas, heads-up: starting tomorrow we backfill `ledger_events.currency` from each "
          "event's invoice (about 40M rows, batches of 10k, roughly 3 hours). No schema change. Values for "
          "non-CAD accounts will change from the 'CAD' default to the real currency."),
        U("Posted. Make it a Celery task that processes one batch and re-enqueues itself. It has to be "
          "idempotent, and pass the last id, not objects, like every task.", "K-idempotent"),
        T("write", {"file_path": "ledgerline/tasks/backfills.py", "content": "@celery_app.task(bind=True, soft_time_limit=60, time_limit=90)\ndef backfill_ledger_currency(self, after_id: str | None = None, batch_size: int = 10_000) -> None:\n    with session_scope() as session:\n        rows = session.execute(BACKFILL_SQL, {\"after_id\": after_id, \"limit\": batch_size}).all()\n    if not rows:\n        log.info(\"backfill.ledger_currency.done\")\n        return\n    last_id = str(rows[-1].id)\n    log.info(\"backfill.ledger_currency.batch\", rows=len(rows), last_id=last_id)\n    backfill_ledger_currency.delay(after_id=last_id, batch_size=batch_size)\n"},
          "File created successfully at: ledgerline/tasks/backfills.py"),
        A("Each batch updates `ledger_events` rows after `after_id` whose currency differs from their invoice's, "
          "so rerunning a batch is harmless."),
        T("bash", {"command": "uv run pytest tests/integration/test_backfills.py -m integration -q"}, Out("""
            ...
            3 passed in 4.02s
        """)),
        U("If something goes wrong in prod, we do NOT downgrade anything. Never alembic downgrade in production, "
          "forward fix only. Same for this backfill: a fix-up batch, not a revert."),
        A("Understood. There's no migration here anyway, and a bad batch gets corrected by a follow-up batch."),
        T("bash", {"command": "uv run python -m ledgerline.tasks.run backfill_ledger_currency --env staging --batch-size 10000"}, Out("""
            enqueued ledgerline.tasks.backfills.backfill_ledger_currency (task_id=3c1e9b4a-7f2d-4d8e-9a6b-0e5f4c3d2b1a)
        """)),
        T("bash", {"command": "psql \"$LEDGERLINE_STAGING_RO_URL\" -Atc \"select currency, count(*) from ledger_events group by 1 order by 2 desc\""}, Out("""
            CAD|2611043
            USD|402118
            EUR|18220
        """)),
        A("Staging is done: CAD 2.61M, USD 402k, EUR 18k rows."),
        U("Matches finance's numbers. Prod tomorrow."),
    ]),

    S("40", "python-312-fallout", "2026-08-25T16:30:00Z", "Python 3.12 upgrade fallout", [
        U("We bumped ledgerline to Python 3.12 yesterday, the Dockerfile base image is python:3.12-slim now. CI "
          "is fine but there's a wall of DeprecationWarnings about datetime.utcnow.", "B-python"),
        T("bash", {"command": "uv run pytest -m 'not integration' -q -W error::DeprecationWarning 2>&1 | tail -4"}, Out("""
            FAILED tests/unit/billing/test_statements.py::test_statement_period - DeprecationWarning: datetime.datetime.utcnow() is deprecated and scheduled for removal in a future version. Use timezone-aware objects to represent datetimes in UTC: datetime.datetime.now(datetime.UTC).
            FAILED tests/unit/tasks/test_finalize_invoice.py::test_finalize_invoice_is_idempotent - DeprecationWarning: datetime.datetime.utcnow() is deprecated ...
            7 failed, 219 passed in 18.02s
        """), err=True),
        T("grep", {"pattern": "utcnow\\(", "path": "ledgerline/", "output_mode": "count"}, Out("""
            ledgerline/billing/statements.py:2
            ledgerline/db/models.py:3
            ledgerline/tasks/invoices.py:1
        """)),
        A("Six calls in three files. I'll replace them with `datetime.now(UTC)`; the model defaults become "
          "`lambda: datetime.now(UTC)`."),
        T("bash", {"command": "sed -i '' -E 's/datetime\\.utcnow\\(\\)/datetime.now(UTC)/g' ledgerline/billing/statements.py ledgerline/db/models.py ledgerline/tasks/invoices.py && uv run ruff check --fix --select I,F401 ledgerline"},
          "Found 3 errors (3 fixed, 0 remaining)."),
        T("bash", {"command": "make lint && uv run pytest -m 'not integration' -q -W error::DeprecationWarning"}, Out("""
            All checks passed!
            229 files already formatted
            Success: no issues found in 141 source files
            ...................................................................... [100%]
            226 passed in 17.63s
        """)),
        U("Good. Can we make the warning an error in pytest config so it doesn't creep back?"),
        T("edit", {"file_path": "pyproject.toml",
                   "old_string": "[tool.pytest.ini_options]\n",
                   "new_string": "[tool.pytest.ini_options]\nfilterwarnings = [\"error::DeprecationWarning:ledgerline.*\"]\n"},
          "The file pyproject.toml has been updated."),
        A("Added: deprecation warnings raised from `ledgerline` modules now fail tests; third-party ones are "
          "still just warnings. Type hints are unchanged, and since we're on 3.12 you can now use PEP 695 "
          "generics if you like."),
        U("Don't go rewriting things for it, but fine for new code."),
    ]),

    S("41", "rebase-dunning-cleanup", "2026-09-01T10:00:00Z", "Rebase the dunning cleanup branch onto main", [
        U("Rebase my branch feat/LL-512-dunning-cleanup onto main, then push with --force-with-lease. Never "
          "plain --force.", "M-lease"),
        T("bash", {"command": "git fetch origin && git switch feat/LL-512-dunning-cleanup && git rebase origin/main"}, Out("""
            Switched to branch 'feat/LL-512-dunning-cleanup'
            Auto-merging tests/unit/billing/test_dunning.py
            CONFLICT (content): Merge conflict in tests/unit/billing/test_dunning.py
            error: could not apply 7a2c4e1... test(dunning): cover cleanup of cancelled schedules
            hint: Resolve all conflicts manually, mark them with "git add/rm <conflicted_files>", then run "git rebase --continue".
        """), err=True),
        T("read", {"file_path": "tests/unit/billing/test_dunning.py", "offset": 1, "limit": 12}, Out("""
            <<<<<<< HEAD
            import time_machine
            =======
            from freezegun import freeze_time
            >>>>>>> 7a2c4e1 (test(dunning): cover cleanup of cancelled schedules)
            from ledgerline.billing.dunning import cancel_schedule, schedule_dunning
        """)),
        A("Conflict on the imports: `main` uses `time_machine`, your commit still imports freezegun."),
        U("Resolve it with time-machine, freezegun is gone from the repo entirely now.", "M-timemachine"),
        T("edit", {"file_path": "tests/unit/billing/test_dunning.py",
                   "old_string": "<<<<<<< HEAD\nimport time_machine\n=======\nfrom freezegun import freeze_time\n>>>>>>> 7a2c4e1 (test(dunning): cover cleanup of cancelled schedules)\n",
                   "new_string": "import time_machine\n"},
          "The file tests/unit/billing/test_dunning.py has been updated."),
        T("grep", {"pattern": "freeze_time", "path": "tests/unit/billing/test_dunning.py"},
          "tests/unit/billing/test_dunning.py:64:@freeze_time(\"2026-08-20 09:00:00\")"),
        T("edit", {"file_path": "tests/unit/billing/test_dunning.py",
                   "old_string": "@freeze_time(\"2026-08-20 09:00:00\")",
                   "new_string": "@time_machine.travel(datetime(2026, 8, 20, 9, 0, tzinfo=UTC), tick=False)"},
          "The file tests/unit/billing/test_dunning.py has been updated."),
        T("bash", {"command": "git add tests/unit/billing/test_dunning.py && GIT_EDITOR=true git rebase --continue && make lint && make test"}, Out("""
            Successfully rebased and updated refs/heads/feat/LL-512-dunning-cleanup.
            All checks passed!
            231 files already formatted
            Success: no issues found in 142 source files
            uv run pytest -m "not integration" -q
            ...................................................................... [100%]
            229 passed in 17.90s
        """)),
        T("bash", {"command": "git push --force-with-lease"}, Out("""
            To github.com:quillstone/ledgerline.git
             + 7a2c4e1...d8e0f35 feat/LL-512-dunning-cleanup -> feat/LL-512-dunning-cleanup (forced update)
        """)),
        U("Thanks!"),
    ]),

    S("42", "new-tech-lead-codeowners", "2026-09-08T11:45:00Z", "New tech lead: update CODEOWNERS", [
        U("Team news: Tomás moved to the payments-platform team, Mei is tech lead for ledgerline now. So "
          "architecture questions and ADRs go to her. Can you update CODEOWNERS?", "B-lead"),
        T("read", {"file_path": ".github/CODEOWNERS"}, Out("""
            # ledgerline code owners
            *                               @tomas-alvarez
            /ledgerline/db/migrations/      @tomas-alvarez @meichen-qs
            /docs/adr/                      @tomas-alvarez
            /infra/                         @olu-adeyemi
        """)),
        T("edit", {"file_path": ".github/CODEOWNERS",
                   "old_string": "*                               @tomas-alvarez\n/ledgerline/db/migrations/      @tomas-alvarez @meichen-qs\n/docs/adr/                      @tomas-alvarez",
                   "new_string": "*                               @meichen-qs\n/ledgerline/db/migrations/      @meichen-qs @priya-raman\n/docs/adr/                      @meichen-qs"},
          "The file .github/CODEOWNERS has been updated."),
        A("Mei is now the default owner and owns `docs/adr/`; migrations are co-owned by Mei and you, matching "
          "your cross-review. `infra/` stays with Olu."),
        U("Right. Can you also check the ADR template still says to tag Tomás?"),
        T("grep", {"pattern": "Tomás|tomas", "path": "docs/"}, Out("""
            docs/adr/0000-template.md:5:Reviewers: @tomas-alvarez (tech lead), one engineer from the team
            docs/onboarding.md:22:- Ask Tomás about architecture decisions and ADRs.
        """)),
        T("edit", {"file_path": "docs/adr/0000-template.md",
                   "old_string": "Reviewers: @tomas-alvarez (tech lead), one engineer from the team",
                   "new_string": "Reviewers: @meichen-qs (tech lead), one engineer from the team"},
          "The file docs/adr/0000-template.md has been updated."),
        T("edit", {"file_path": "docs/onboarding.md",
                   "old_string": "- Ask Tomás about architecture decisions and ADRs.",
                   "new_string": "- Ask Mei about architecture decisions and ADRs."},
          "The file docs/onboarding.md has been updated."),
        T("bash", {"command": "make lint && git commit -qam 'chore: Mei is ledgerline tech lead' && gh pr create --fill --reviewer meichen-qs"},
          "https://github.com/quillstone/ledgerline/pull/688"),
        U("Thanks. Weird not having Tomás around, he's still on Slack though."),
    ]),

    S("43", "review-refund-proration-pr", "2026-09-15T14:20:00Z", "Review Mei's PR #701 (partial refunds)", [
        U("Review Mei's PR #701 with me. My usual checklist: type hints on every public function, money as "
          "integer cents never floats, and every migration has a test.", "K-typehints", "K-cents"),
        T("bash", {"command": "gh pr diff 701 --name-only"}, Out("""
            Makefile
            ledgerline/billing/refunds.py
            ledgerline/db/migrations/versions/0066_partial_refunds.py
            tests/migrations/test_0066_partial_refunds.py
            tests/unit/billing/test_refunds.py
        """)),
        T("bash", {"command": "gh pr diff 701 -- ledgerline/billing/refunds.py | grep '^+' | head -12"}, Out("""
            +def partial_refund(invoice: Invoice, fraction: float) -> int:
            +    \"\"\"Refund a fraction of an invoice.\"\"\"
            +    return round_cents(Decimal(invoice.total_cents * fraction) / 100)
            +
            +
            +def refund_window(invoice):
            +    return invoice.period_end + timedelta(days=30)
        """)),
        A("Findings:\n1. `partial_refund` takes `fraction: float` and multiplies cents by it: float money math. "
          "Suggest `fraction: Decimal` (or a basis-points `int`).\n2. `refund_window` has no type hints.\n"
          "3. The migration has a test in `tests/migrations/`, good."),
        U("Also check the Makefile hunk, I bet she used spaces. Makefiles need tabs.", "K-tabs"),
        T("bash", {"command": "gh pr diff 701 -- Makefile | cat -A | grep '^+' | head -4"}, Out("""
            +refund-report:$
            +    uv run python -m ledgerline.jobs.refund_report$
        """)),
        A("Yes: the recipe line is indented with four spaces (no `^I`), so `make refund-report` would fail with "
          "\"missing separator\"."),
        U("Post the review. Blocking on the float, nits for the rest."),
        T("write", {"file_path": "/tmp/review-701.md", "content": "**Blocking:** `partial_refund(fraction: float)` does float math on money. We keep amounts as integer cents; please take `fraction: Decimal` (or basis points as `int`).\n\nnit: `refund_window` needs type hints (`(invoice: Invoice) -> date`).\n\nnit: the `refund-report` recipe in the Makefile is indented with spaces; Makefiles need a tab there.\n\nMigration test looks good.\n"},
          "File created successfully at: /tmp/review-701.md"),
        T("bash", {"command": "gh pr review 701 --request-changes --body-file /tmp/review-701.md"},
          "✓ Requested changes to pull request quillstone/ledgerline#701"),
        U("Thanks. Funny reviewing the tech lead's PR, but the checklist is the checklist."),
        A("It is. The comment keeps the blocking part to the one real risk."),
    ]),

    S("44", "unleash-flag-cleanup", "2026-09-22T10:30:00Z", "Remove the dunning-v2 flag", [
        U("dunning-v2 has been at 100% for a month. Remove the Unleash flag from the code. And keep shipping new "
          "stuff behind flags in Unleash, this is just cleanup.", "M-unleash"),
        T("grep", {"pattern": "dunning-v2", "path": "."}, Out("""
            ledgerline/billing/dunning.py:19:    if is_enabled("dunning-v2", account_id=str(invoice.account_id)):
            tests/unit/billing/test_dunning.py:88:@pytest.mark.parametrize("flag_on", [True, False])
            tests/unit/billing/test_dunning.py:90:    monkeypatch.setattr(dunning, "is_enabled", lambda flag, **_: flag_on and flag == "dunning-v2")
        """)),
        T("read", {"file_path": "ledgerline/billing/dunning.py", "offset": 17, "limit": 12}, Out("""
            def schedule_dunning(invoice: Invoice, failed: PaymentAttempt) -> None:
                if is_enabled("dunning-v2", account_id=str(invoice.account_id)):
                    return schedule_dunning_v2(invoice, failed)
                log.info("dunning.scheduled", invoice_id=str(invoice.id), days=DUNNING_DAYS)
                for day in DUNNING_DAYS:
                    send_dunning_email.apply_async((str(invoice.id), day), eta=failed.failed_at + timedelta(days=day))
        """)),
        A("I'll make `schedule_dunning` the v2 body, delete the v1 path and the parametrized flag test, and "
          "drop the `_v2` suffix from the templates in a follow-up so this diff stays reviewable."),
        T("edit", {"file_path": "ledgerline/billing/dunning.py",
                   "old_string": "    if is_enabled(\"dunning-v2\", account_id=str(invoice.account_id)):\n        return schedule_dunning_v2(invoice, failed)\n    log.info(\"dunning.scheduled\", invoice_id=str(invoice.id), days=DUNNING_DAYS)\n    for day in DUNNING_DAYS:\n        send_dunning_email.apply_async((str(invoice.id), day), eta=failed.failed_at + timedelta(days=day))",
                   "new_string": "    schedule_dunning_v2(invoice, failed)"},
          "The file ledgerline/billing/dunning.py has been updated."),
        T("edit", {"file_path": "tests/unit/billing/test_dunning.py",
                   "old_string": "@pytest.mark.parametrize(\"flag_on\", [True, False])\n",
                   "new_string": ""},
          "The file tests/unit/billing/test_dunning.py has been updated."),
        T("bash", {"command": "make lint && make test"}, Out("""
            uv run ruff check .
            tests/unit/billing/test_dunning.py:89:34: F821 Undefined name `flag_on`
            Found 1 error.
            make: *** [lint] Error 1
        """), err=True),
        A("The test body still references `flag_on`. Removing the monkeypatch line and the v1 assertions."),
        T("edit", {"file_path": "tests/unit/billing/test_dunning.py",
                   "old_string": "    monkeypatch.setattr(dunning, \"is_enabled\", lambda flag, **_: flag_on and flag == \"dunning-v2\")\n",
                   "new_string": ""},
          "The file tests/unit/billing/test_dunning.py has been updated."),
        T("bash", {"command": "make lint && make test"}, Out("""
            All checks passed!
            231 files already formatted
            Success: no issues found in 142 source files
            uv run pytest -m "not integration" -q
            ...................................................................... [100%]
            227 passed in 17.35s
        """)),
        U("Good. I'll archive the flag in the Unleash UI after this deploys."),
    ]),

    S("45", "quarter-end-dry-run", "2026-09-28T15:00:00Z", "Quarter-end invoice run: dry run on staging", [
        U("Quarter-end run is Wednesday. Can you do a dry run against staging?"),
        T("bash", {"command": "uv run python -m ledgerline.jobs.quarter_end --env staging --dry-run"}, Out("""
            quarter_end: period 2026-07-01..2026-09-30 (dry run, staging)
            accounts considered:        4,812
            invoices to finalize:       4,655
            skipped (paused/cancelled):   157
            total_cents by currency:
              CAD  1,842,219,304
              USD    311,470,915
              EUR      9,802,117
            csv export: /tmp/quarter_end_2026Q3_staging.csv (4,655 rows)
            no changes written (dry run)
        """)),
        A("4,655 invoices would be finalized and 157 skipped. Totals are in integer cents per currency."),
        U("Totals in cents, good. Money is always integer cents, never floats, so double-check the CSV export "
          "doesn't turn them into floats for finance.", "K-cents"),
        T("bash", {"command": "head -3 /tmp/quarter_end_2026Q3_staging.csv"}, Out("""
            invoice_number,account_id,currency,total
            INV-2026-118204,0c4b1f9e-8a51-4d7b-9f6e-1a2b3c4d5e6f,CAD,1249.9
            INV-2026-118205,1d2e3f40-5a6b-4c7d-8e9f-0a1b2c3d4e5f,USD,87.0
        """)),
        A("It does: `1249.9` and `87.0` are floats from `total_cents / 100`. I'll format from the integer cents "
          "instead so it's always two decimals and exact."),
        T("grep", {"pattern": "total_cents / 100", "path": "ledgerline/jobs/"},
          "ledgerline/jobs/quarter_end.py:88:            \"total\": invoice.total_cents / 100,"),
        T("edit", {"file_path": "ledgerline/jobs/quarter_end.py",
                   "old_string": "            \"total\": invoice.total_cents / 100,",
                   "new_string": "            \"total_cents\": invoice.total_cents,\n            \"total\": format_cents(invoice.total_cents),"},
          "The file ledgerline/jobs/quarter_end.py has been updated."),
        T("bash", {"command": "make lint && uv run python -m ledgerline.jobs.quarter_end --env staging --dry-run >/dev/null && head -3 /tmp/quarter_end_2026Q3_staging.csv"}, Out("""
            All checks passed!
            231 files already formatted
            Success: no issues found in 142 source files
            invoice_number,account_id,currency,total_cents,total
            INV-2026-118204,0c4b1f9e-8a51-4d7b-9f6e-1a2b3c4d5e6f,CAD,124990,1249.90
            INV-2026-118205,1d2e3f40-5a6b-4c7d-8e9f-0a1b2c3d4e5f,USD,8700,87.00
        """)),
        A("The CSV now has exact `total_cents` plus a two-decimal `total` string built from the integer."),
        U("Perfect. Finance will love the extra column. That's it for the quarter, thanks!"),
    ]),
]


# =================================================================================================
# Dataset 2: legal-research
#
# Daniel Okafor is an employment-law associate at Whitcombe Aldana LLP, a small firm in Oakland.
# Supervising partner: Margaret Aldana; other partner: Ruth Abernathy; associate: Kevin Park;
# paralegal: Sofia Nakamura. Clients: Harborline Logistics, Hartwell Dental Group, Brightwater
# Charter Schools. Every person, firm, client, judge and case here is fictional (statute numbers
# are only used as labels). Sessions run 2026-06-01 to 2026-08-27.
# =================================================================================================

LEGAL_STORE = {
    "name": "daniel-legal-research",
    "description": "What the legal-research assistant remembers about Daniel Okafor's clients, his "
                   "research and drafting habits, and his colleagues at Whitcombe Aldana LLP.",
    "created_at": "2026-06-01T09:00:00Z",
}

LEGAL_DOCS = [
    D("/clients/harborline-logistics.md", "Harborline Logistics", created="01", updated="07", notes=[
        ("hl-two-pages", "keep", "Harborline Logistics wants research memos under two pages."),
        ("hl-gc", "keep", "Harborline's general counsel is Renata Voss; drafts go to her directly."),
        ("hl-matter", "keep", "Harborline's general wage-and-hour advice is billed to matter 2291-004; each lawsuit gets its own matter number."),
        ("hl-phone", "keep", "Harborline wants a phone call for anything urgent, followed by a short email recap."),
    ], versions=[("01", ["hl-two-pages", "hl-gc", "hl-matter"])]),

    D("/clients/hartwell-dental.md", "Hartwell Dental Group", created="04", updated="05", notes=[
        ("hw-issue", "keep", "The Hartwell matter is a misclassification claim by two former hygienists who were paid as independent contractors."),
        ("hw-email", "keep", "Hartwell prefers email over phone calls, even for urgent issues."),
        ("hw-contact", "conflict_old", "The primary contact at Hartwell is the office manager, Gina Paulsen."),
        ("hw-mediation", "stale", "Hartwell mediation is July 9; the mediation brief must reach Margaret by July 2."),
    ], versions=[("04", ["hw-issue", "hw-email", "hw-contact"])]),

    D("/clients/brightwater-schools.md", "Brightwater Charter Schools", created="03", updated="03", notes=[
        ("bw-word", "conflict_old", "Brightwater wants memos delivered as editable Word documents."),
        ("bw-ed", "keep", "Brightwater's executive director is Luis Ferrer; anything needing board approval must reach him a week before the monthly board meeting."),
        ("bw-public", "keep", "Brightwater is a public charter school, so memos may be subject to public records requests; label privileged analysis clearly."),
    ]),

    D("/clients/delivery-preferences.md", "Delivery preferences", created="08", updated="08", notes=[
        ("bw-pdf", "conflict_new", "Since July, Brightwater wants PDFs only, uploaded to their board portal, never Word files."),
        ("hl-redline", "keep", "Harborline wants contract redlines as Word track changes, never PDF."),
    ]),

    D("/patterns/research-workflow.md", "Research workflow", created="01", updated="03", notes=[
        ("rw-ninth", "keep", "For California matters, cite the Ninth Circuit and the California Supreme Court before district court or Court of Appeal cases."),
        ("rw-briefbank", "keep", "Start with the firm's brief bank (`K:\\BriefBank\\Employment`) before running new searches."),
        ("rw-keycite", "keep", "Always KeyCite every case before it goes into a memo."),
        ("rw-lexis", "conflict_old", "Run the first search pass in Lexis; use Westlaw only for KeyCite."),
        ("rw-threshold", "conflict_old", "Research over 3 hours on a single question needs Margaret's approval first."),
    ], versions=[("01", ["rw-ninth", "rw-briefbank", "rw-keycite", "rw-lexis"])]),

    D("/patterns/citations.md", "Citations", created="02", updated="02", notes=[
        ("ct-keycite", "duplicate", "Check each case on KeyCite for red or yellow flags before citing it."),
        ("ct-bluebook", "keep", "Federal court filings use Bluebook citation format."),
        ("ct-csm", "keep", "California state court filings use the California Style Manual, not Bluebook."),
    ]),

    D("/patterns/drafting.md", "Drafting", created="01", updated="06", notes=[
        ("dr-short-answer", "keep", "Memos open with a one-paragraph Short Answer before the analysis."),
        ("dr-plain", "keep", "Daniel writes in plain English: no \"heretofore\", \"aforementioned\" or \"said agreement\"."),
        ("dr-filenames", "keep", "Drafts are saved as `YYYY-MM-DD_client_topic_v#.docx` in the matter folder."),
        ("dr-hl-dup", "duplicate", "Harborline Logistics wants research memos under two pages."),
        ("dr-open-q", "keep", "End every memo with a short \"Open questions\" section."),
    ], versions=[("01", ["dr-short-answer", "dr-filenames"]),
                 ("03", ["dr-short-answer", "dr-plain", "dr-filenames"])]),

    D("/patterns/time-and-filings.md", "Time entries and filings", created="03", updated="03", notes=[
        ("bl-increments", "keep", "Time is billed in 0.1-hour increments, with narratives that describe the task, not the result."),
        ("bl-filings", "duplicate", "Court filings go through Sofia; Daniel never files anything himself."),
    ]),

    D("/patterns/tools.md", "Tools", created="09", updated="09", notes=[
        ("tl-westlaw", "conflict_new", "The firm dropped its Lexis subscription on July 31; all research is done in Westlaw now."),
        ("tl-clio", "keep", "Matter documents live in Clio; the K: drive is only used for the brief bank."),
    ]),

    D("/people/colleagues.md", "Colleagues", created="01", updated="07", notes=[
        ("pp-margaret", "keep", "Margaret Aldana is the supervising partner on all employment matters."),
        ("pp-sofia", "keep", "Sofia Nakamura (paralegal) handles all court filings and calendaring."),
        ("pp-kevin", "keep", "Kevin Park is a second-year associate who takes research overflow."),
        ("pp-margaret-out", "stale", "Margaret is out June 15-19; urgent questions go to Ruth Abernathy."),
        ("pp-kevin-checks", "keep", "Kevin cite-checks Daniel's briefs before filing."),
        ("pp-daniel-checks", "keep", "Daniel cite-checks Kevin's briefs before filing."),
    ], versions=[("01", ["pp-margaret", "pp-sofia", "pp-kevin"]),
                 ("05", ["pp-margaret", "pp-sofia", "pp-kevin", "pp-margaret-out"])]),

    D("/misc/notes.md", "Misc", created="02", updated="06", notes=[
        ("ms-coffee", "low_value", "Daniel's favourite coffee is the cortado from the café on Grand Ave."),
        ("ms-westlaw-down", "stale", "Westlaw is down for maintenance on Saturday, June 13; use Lexis that day."),
        ("ms-soccer", "low_value", "Daniel left early on June 12 for his daughter's soccer game."),
        ("ms-ui", "low_value", "Daniel thinks the new Westlaw interface is cluttered."),
    ], versions=[("02", ["ms-coffee"]), ("04", ["ms-coffee", "ms-westlaw-down", "ms-soccer"])]),
]

LEGAL_PLANTED = {
    "duplicates": [
        (["hl-two-pages", "dr-hl-dup"], "verbatim", "hl-two-pages"),
        (["rw-keycite", "ct-keycite"], "paraphrase", "rw-keycite"),
        (["pp-sofia", "bl-filings"], "paraphrase", "pp-sofia"),
    ],
    "near_misses": [
        (["pp-kevin-checks", "pp-daniel-checks"], "role swap"),
        (["ct-bluebook", "ct-csm"], "negation in different scope"),
        (["hw-email", "hl-phone"], "different subject"),
        (["bw-pdf", "hl-redline"], "different subject"),
    ],
    "conflicts": [
        {"old": "rw-lexis", "new": "tl-westlaw", "subject": "Primary research database", "latest_value": "Westlaw"},
        {"old": "bw-word", "new": "bw-pdf", "subject": "Brightwater delivery format",
         "latest_value": "PDF only, uploaded to the Brightwater board portal"},
        {"old": "hw-contact", "evidence": "B-hartwell", "quote": "the new office manager is Marcus Reed",
         "subject": "Primary contact at Hartwell", "latest_value": "Marcus Reed (office manager)"},
        {"old": "rw-threshold", "evidence": "B-threshold", "quote": "Margaret raised the pre-approval threshold to 5 hours",
         "subject": "Research hours allowed before Margaret's approval", "latest_value": "5 hours per question"},
    ],
    "stale": [
        ("hw-mediation", "temporary"),
        ("pp-margaret-out", "temporary"),
        ("ms-westlaw-down", "temporary"),
    ],
    "missing_facts": [
        {"tag": "M-pincite", "fact": "Every quotation in a memo or brief needs a pin cite (the exact page).",
         "keywords": ["pin cite"], "best_path": "/patterns/citations.md"},
        {"tag": "M-paga", "fact": "Every Harborline wage-and-hour memo must address PAGA exposure, even when "
                                  "the client did not ask about it.",
         "keywords": ["PAGA", "Harborline"], "best_path": "/clients/harborline-logistics.md"},
        {"tag": "M-standing", "fact": "Before drafting anything for a court, check the assigned judge's standing "
                                      "order for page limits and format rules.",
         "keywords": ["standing order"], "best_path": "/patterns/drafting.md"},
        {"tag": "M-subject", "fact": "For Hartwell, never put settlement figures in an email subject line "
                                     "(the front desk sees inbox previews).",
         "keywords": ["Hartwell", "subject line"], "best_path": "/clients/hartwell-dental.md"},
    ],
    "old_but_supported": [
        {"note": "rw-keycite", "tag": "K-keycite", "keywords": ["KeyCite"]},
        {"note": "rw-ninth", "tag": "K-ninth", "keywords": ["Ninth Circuit"]},
        {"note": "hl-two-pages", "tag": "K-twopages", "keywords": ["two pages"]},
    ],
}

LEGAL_SESSIONS = [
    S("01", "harborline-meal-waivers", "2026-06-01T09:30:00Z", "Harborline: meal-period waiver research", [
        U("New assignment from Margaret. Harborline Logistics wants to know whether the written meal-period "
          "waivers their warehouse crews sign hold up for shifts between 6 and 6.5 hours. Their GC is Renata "
          "Voss, and she wants research memos under two pages, so plan for that."),
        U("Start with our brief bank, K:\\BriefBank\\Employment, before any new searches. I'm fairly sure we "
          "did this for another client."),
        T("grep", {"pattern": "meal.period waiver", "path": "K:/BriefBank/Employment", "-i": True}, Out("""
            K:/BriefBank/Employment/2024-11-04_pellcorp_meal-waivers_v3.docx.txt:12:A meal period waiver is valid for shifts of no more than six hours if
            K:/BriefBank/Employment/2024-11-04_pellcorp_meal-waivers_v3.docx.txt:31:the waiver must be mutual, voluntary and revocable; a blanket waiver signed at hire
            K:/BriefBank/Employment/2023-02-17_tidewater_break-policy_v2.docx.txt:88:...second meal-period waiver for shifts up to twelve hours...
        """)),
        T("read", {"file_path": "K:/BriefBank/Employment/2024-11-04_pellcorp_meal-waivers_v3.docx.txt", "offset": 10, "limit": 25}, Out("""
            SHORT ANSWER
            A meal period waiver is valid for shifts of no more than six hours if the employee agrees to it
            in writing. For a shift even minutes over six hours, the first meal period cannot be waived...

            ANALYSIS
            1. Statutory text (Lab. Code § 512(a))...
            2. The waiver must be mutual, voluntary and revocable; a blanket waiver signed at hire and never
               revisited was held insufficient in Delacroix v. Pinebrook Foods (Cal. Ct. App. 2021)...
        """)),
        A("The 2024 PellCorp memo covers most of this: a written waiver works only for shifts of six hours or "
          "less, so Harborline's 6-to-6.5-hour shifts can't rely on it. It cites mainly Court of Appeal "
          "decisions, so it needs updating."),
        U("For California matters, cite the Ninth Circuit and the California Supreme Court first, before "
          "district courts or the Court of Appeal. Run the first pass in Lexis; we only use Westlaw for KeyCite."),
        T("lexis_search", {"query": "meal period waiver \"six hours\" shift exceeds", "jurisdiction": "CA", "courts": ["Cal.", "9th Cir."]}, Out("""
            1. Marquez v. Hollister Cold Chain, Inc. (Cal. 2022) - meal period may be waived only where total work period is no more than six hours; rounding of time punches...
            2. Ostrowski v. Delmar Freight Lines (9th Cir. 2023) - applying state meal-period rules to interstate warehouse employees; preemption argument rejected...
            3. Delacroix v. Pinebrook Foods (Cal. Ct. App. 2021) - blanket waiver at hire insufficient...
        """)),
        U("Always KeyCite every case before it goes in the memo."),
        T("keycite", {"citations": ["Marquez v. Hollister Cold Chain, Inc. (Cal. 2022)", "Ostrowski v. Delmar Freight Lines (9th Cir. 2023)", "Delacroix v. Pinebrook Foods (Cal. Ct. App. 2021)"]}, Out("""
            Marquez v. Hollister Cold Chain, Inc.        no negative history
            Ostrowski v. Delmar Freight Lines           yellow flag: distinguished by Ruiz v. Northgate Carriers (E.D. Cal. 2025)
            Delacroix v. Pinebrook Foods                no negative history
        """)),
        A("Marquez and Delacroix are clean. Ostrowski has a yellow flag: a 2025 district court distinguished it "
          "for drivers, not warehouse staff, so it still works for Harborline's crews. I'll note that in the memo."),
        U("Good. Memo format as always: a one-paragraph short answer first. Save it as "
          "2026-06-01_harborline_meal-waivers_v1.docx in the matter folder. Bill to 2291-004."),
        T("write", {"file_path": "Matters/Harborline/2291-004/2026-06-01_harborline_meal-waivers_v1.docx", "content": "SHORT ANSWER\nNo. A written meal-period waiver covers only work periods of six hours or less (Marquez v. Hollister Cold Chain, Inc.). Harborline's 6- to 6.5-hour shifts need a first meal period...\n\nANALYSIS\n..."},
          "File created successfully at: Matters/Harborline/2291-004/2026-06-01_harborline_meal-waivers_v1.docx"),
        A("Draft v1 is saved. It runs about a page and a half."),
        U("Thanks, I'll read it after lunch."),
    ]),

    S("02", "harborline-paga-exposure", "2026-06-03T14:00:00Z", "Harborline: PAGA exposure for meal-period claims", [
        U("Renata called. For Harborline, every wage-and-hour memo has to address PAGA exposure, even when she "
          "doesn't ask. Add a PAGA section to the meal-waiver memo.", "M-paga"),
        T("lexis_search", {"query": "PAGA civil penalties meal period violation per pay period calculation", "jurisdiction": "CA"}, Out("""
            1. Lab. Code § 2699(f)(2) - default civil penalty per aggrieved employee per pay period...
            2. Hensley v. Quarry Point Logistics (Cal. Ct. App. 2024) - penalties for "initial" vs. "subsequent" violations; court discretion to reduce...
            3. Ashgrove v. Marlin Staffing (Cal. 2023) - standing of aggrieved employee to pursue non-individual claims...
        """)),
        A("Rough exposure: Harborline has about 140 warehouse employees on those shifts and 26 pay periods a year, "
          "so the one-year look-back is up to 3,640 employee pay periods at the default penalty, before any "
          "reduction. Hensley gives the court room to reduce; Ashgrove covers standing."),
        T("read", {"file_path": "Matters/Harborline/2291-004/2026-06-01_harborline_meal-waivers_v1.docx", "offset": 1, "limit": 6}, Out("""
            SHORT ANSWER
            No. A written meal-period waiver covers only work periods of six hours or less (Marquez v. Hollister
            Cold Chain, Inc.). Harborline's 6- to 6.5-hour shifts need a first meal period...
        """)),
        T("edit", {"file_path": "Matters/Harborline/2291-004/2026-06-01_harborline_meal-waivers_v2.docx",
                   "old_string": "ANALYSIS\n",
                   "new_string": "PAGA EXPOSURE\nIf the waivers are invalid, each missed first meal period is also a PAGA violation...\n\nANALYSIS\n"},
          "The file Matters/Harborline/2291-004/2026-06-01_harborline_meal-waivers_v2.docx has been updated."),
        U("On citation format: this may end up in federal court, they removed the last case, so use Bluebook. "
          "If it stays in state court, the California Style Manual instead, not Bluebook."),
        A("OK: Bluebook for federal filings, California Style Manual for state court. The memo itself uses "
          "Bluebook for now."),
        U("Grabbing a cortado from the place on Grand, back in ten."),
        U("Back. Is it still under two pages with the PAGA section?"),
        T("bash", {"command": "pandoc 'Matters/Harborline/2291-004/2026-06-01_harborline_meal-waivers_v2.docx' -t plain | wc -w"},
          "     868"),
        A("868 words, about 1.9 pages in the firm template. Right at the limit, so I'd keep any further "
          "additions to footnotes."),
        U("Fine. Send me v2."),
    ]),

    S("03", "brightwater-nonrenewal", "2026-06-08T10:15:00Z", "Brightwater: notice for non-renewing a teacher", [
        U("New client: Brightwater Charter Schools. Question: what notice do they owe a second-year teacher they "
          "don't plan to renew? Their ED is Luis Ferrer. They want memos as editable Word documents, their "
          "board marks them up."),
        T("lexis_search", {"query": "charter school non-renewal probationary teacher notice requirement charter petition", "jurisdiction": "CA"}, Out("""
            1. Ed. Code § 47610 - charter schools exempt from most Education Code provisions...
            2. Keller v. Sierra Vista Charter Academy (Cal. Ct. App. 2020) - notice obligations come from the charter and the employment contract, not § 44929.21...
            3. Brightwater Charter Schools, Charter Petition (renewed 2024), § 9.3 Employee Evaluations
        """)),
        A("Short version: as a charter, Brightwater is generally exempt from the Education Code's March 15 "
          "notice rule; the obligations come from its charter petition and the teacher's contract (Keller). "
          "I'll need the contract and § 9.3 of the charter."),
        U("They're a public charter, so assume the memo could be requested under public records law. Label the "
          "privileged analysis clearly."),
        T("write", {"file_path": "Matters/Brightwater/3107-001/2026-06-08_brightwater_nonrenewal_v1.docx", "content": "PRIVILEGED & CONFIDENTIAL - ATTORNEY-CLIENT COMMUNICATION\n\nSHORT ANSWER\nBrightwater's notice obligation comes from its charter (§ 9.3) and the teacher's contract...\n\nThe court noted that charter schools \"are not bound by the notice timelines of section 44929.21\" ..."},
          "File created successfully at: Matters/Brightwater/3107-001/2026-06-08_brightwater_nonrenewal_v1.docx"),
        U("Every quotation needs a pin cite. You quoted Keller and the charter without page numbers.", "M-pincite"),
        T("keycite", {"citations": ["Keller v. Sierra Vista Charter Academy (Cal. Ct. App. 2020)"]},
          "Keller v. Sierra Vista Charter Academy    no negative history    quoted passage at p. 1187"),
        T("edit", {"file_path": "Matters/Brightwater/3107-001/2026-06-08_brightwater_nonrenewal_v1.docx",
                   "old_string": "\"are not bound by the notice timelines of section 44929.21\" ...",
                   "new_string": "\"are not bound by the notice timelines of section 44929.21\" (Keller, at p. 1187) ..."},
          "The file Matters/Brightwater/3107-001/2026-06-08_brightwater_nonrenewal_v1.docx has been updated."),
        U("I'm at 2.5 hours on this. Anything over 3 hours on one question needs Margaret's approval first, so "
          "let's wrap up. Also their board meets monthly, and anything needing board approval has to reach Luis "
          "a week before the meeting."),
        A("Understood. Time entry draft (0.1 increments): \"Research re: notice obligations for non-renewal of "
          "second-year charter school teacher; draft memo to client. 2.6\""),
        U("Good. And any filing in this matter goes through Sofia, never file anything directly, even if the "
          "e-filing portal lets you."),
    ]),

    S("04", "hartwell-abc-test", "2026-06-12T13:20:00Z", "Hartwell: the ABC test for hygienists", [
        U("Hartwell Dental Group: two former hygienists say they were misclassified as independent contractors. "
          "The contact is the office manager, Gina Paulsen. Dr. Hartwell prefers email over phone calls, even "
          "for urgent stuff."),
        T("lexis_search", {"query": "ABC test dental hygienist independent contractor Lab. Code 2775 professional services exemption", "jurisdiction": "CA"}, Out("""
            1. Lab. Code § 2775 - ABC test; § 2778 professional services exemptions
            2. Fairweather v. Orchard Family Dentistry (Cal. Ct. App. 2023) - hygienists who set own schedules still failed prong B...
            3. Nguyen v. BrightSmile Staffing (N.D. Cal. 2024) - staffing-agency hygienists; joint employment...
        """)),
        A("Prong B is the hard one for Hartwell: cleaning teeth is the usual course of a dental practice's "
          "business, and Fairweather held that against a practice on similar facts. The exemptions in § 2778 "
          "don't list hygienists."),
        U("The case is assigned to Judge Imani Carrow in Alameda Superior. Check her standing order for page "
          "limits and formatting before we draft anything for her court.", "M-standing"),
        T("web_search", {"query": "Alameda Superior Court Department 21 Judge Carrow standing order civil"}, Out("""
            Dept. 21 - Hon. Imani Carrow - Standing Order re Civil Motions (rev. 2026-01)
            - Opening and opposition briefs: 15 pages; replies: 8 pages.
            - Every exhibit must be bookmarked; courtesy copies not accepted.
            - Proposed orders in Word format emailed to the department.
        """)),
        A("Judge Carrow: 15-page limit for opening and opposition briefs, 8 for replies, bookmarked exhibits, "
          "no courtesy copies, proposed orders in Word by email."),
        U("Heads-up: Westlaw is down for maintenance tomorrow, Saturday the 13th. If you need KeyCite this "
          "weekend, use Lexis that day."),
        A("Noted."),
        U("I'm leaving early for my daughter's soccer game. Let's pick this up Monday."),
        A("Enjoy the game. On Monday I'll start with the prong B analysis."),
    ]),

    S("05", "hartwell-settlement-email", "2026-06-16T11:00:00Z", "Hartwell: email about the mediator's proposal", [
        U("Draft an email to Gina at Hartwell summarising the mediator's proposal. Mediation is July 9, and our "
          "brief goes to Margaret by July 2. Margaret's out this week, June 15-19, so urgent questions go to "
          "Ruth Abernathy."),
        T("read", {"file_path": "Matters/Hartwell/4420-002/2026-06-15_mediator_proposal.pdf.txt"}, Out("""
            Mediator's proposal (confidential, Evid. Code § 1119)
            Parties: Medina and Ibarra v. Hartwell Dental Group
            Proposed resolution: $85,000 inclusive of fees and costs; mutual release; no admission of liability.
            Respond by: June 26, 2026
        """)),
        A("Draft:\n\nSubject: Hartwell - mediator's proposal $85,000\n\nGina, the mediator has proposed $85,000, "
          "inclusive of fees and costs, with a mutual release and no admission of liability. We need Dr. "
          "Hartwell's answer by June 26..."),
        U("No. Never put settlement figures in the subject line for Hartwell. Dr. Hartwell's front desk sees the "
          "inbox previews. Keep the subject line neutral.", "M-subject"),
        T("write", {"file_path": "Matters/Hartwell/4420-002/2026-06-16_email_gina_mediator-proposal.txt", "content": "Subject: Hartwell matter - update and decision needed by June 26\n\nGina,\n\nThe mediator has proposed a resolution of $85,000, inclusive of fees and costs, with a mutual release and no admission of liability. We need Dr. Hartwell's answer by June 26. Our recommendation follows below...\n"},
          "File created successfully at: Matters/Hartwell/4420-002/2026-06-16_email_gina_mediator-proposal.txt"),
        A("Revised: the subject is \"Hartwell matter - update and decision needed by June 26\" and the figure is "
          "only in the body."),
        U("Better. Don't send anything to Dr. Hartwell directly, it all goes through Gina."),
        A("Understood."),
        U("Start an outline for the mediation brief too, Margaret wants it by July 2."),
        T("write", {"file_path": "Matters/Hartwell/4420-002/2026-06-16_hartwell_mediation-brief_outline.docx", "content": "I. Introduction\nII. Facts: engagement terms, schedules, equipment\nIII. Prong A: control\nIV. Prong B: usual course of business (weakest point; Fairweather)\nV. Prong C: independently established trade\nVI. Exposure and settlement range\n"},
          "File created successfully at: Matters/Hartwell/4420-002/2026-06-16_hartwell_mediation-brief_outline.docx"),
    ]),

    S("06", "harborline-memo-formatting", "2026-06-24T15:40:00Z", "Formatting pass on the Harborline memo", [
        U("Formatting pass on the Harborline meal-waiver memo before it goes to Renata. Check that every quote "
          "has a pin cite, that the language is plain English, and the short answer is up front.", "M-pincite"),
        T("read", {"file_path": "Matters/Harborline/2291-004/2026-06-01_harborline_meal-waivers_v2.docx"}, Out("""
            SHORT ANSWER
            No. A written meal-period waiver covers only work periods of six hours or less...

            PAGA EXPOSURE
            ...the court may award "a lesser amount than the maximum civil penalty" (Hensley v. Quarry Point Logistics)...

            ANALYSIS
            Heretofore, Harborline has relied on waivers signed at hire. The aforementioned waivers state "I
            voluntarily waive my meal period" (Waiver Form HL-17)...
        """)),
        A("Two quotes without pin cites (Hensley, and the waiver form, which needs its page and paragraph), plus "
          "\"Heretofore\" and \"aforementioned\" in the analysis."),
        T("edit", {"file_path": "Matters/Harborline/2291-004/2026-06-01_harborline_meal-waivers_v3.docx",
                   "old_string": "Heretofore, Harborline has relied on waivers signed at hire. The aforementioned waivers state",
                   "new_string": "Until now, Harborline has relied on waivers signed at hire. Those waivers state"},
          "The file Matters/Harborline/2291-004/2026-06-01_harborline_meal-waivers_v3.docx has been updated."),
        T("keycite", {"citations": ["Hensley v. Quarry Point Logistics (Cal. Ct. App. 2024)"]},
          "Hensley v. Quarry Point Logistics    no negative history    quoted passage at p. 944"),
        T("edit", {"file_path": "Matters/Harborline/2291-004/2026-06-01_harborline_meal-waivers_v3.docx",
                   "old_string": "(Hensley v. Quarry Point Logistics)",
                   "new_string": "(Hensley v. Quarry Point Logistics, at p. 944)"},
          "The file Matters/Harborline/2291-004/2026-06-01_harborline_meal-waivers_v3.docx has been updated."),
        U("Add an Open questions section at the end. I want that on every memo from now on."),
        T("edit", {"file_path": "Matters/Harborline/2291-004/2026-06-01_harborline_meal-waivers_v3.docx",
                   "old_string": "[END]",
                   "new_string": "OPEN QUESTIONS\n1. Do any crews work split shifts that total more than six hours?\n2. Were the waivers ever re-signed after the 2025 handbook update?\n[END]"},
          "The file Matters/Harborline/2291-004/2026-06-01_harborline_meal-waivers_v3.docx has been updated."),
        U("And it's Harborline, so under two pages. Where are we?"),
        T("bash", {"command": "pandoc 'Matters/Harborline/2291-004/2026-06-01_harborline_meal-waivers_v3.docx' -t plain | wc -w"},
          "     901"),
        A("901 words, right at two pages. I'd move the Ostrowski discussion to a footnote if you add anything."),
        U("Fine as is. Ugh, the new Westlaw interface is so cluttered, I can never find the KeyCite flags."),
        A("The flags moved into the \"History\" panel on the right in the new layout."),
    ]),

    S("07", "harborline-rest-periods", "2026-07-06T10:00:00Z", "Harborline: rest-period class complaint", [
        U("Harborline got served with a rest-period class complaint. Renata called me, and Harborline always "
          "wants a phone call for anything urgent and then a short email recap. First question: PAGA exposure. "
          "For Harborline we always address PAGA.", "M-paga"),
        T("read", {"file_path": "Matters/Harborline/2291-007/complaint_alvarado_v_harborline.pdf.txt", "offset": 1, "limit": 20}, Out("""
            SUPERIOR COURT OF CALIFORNIA, COUNTY OF ALAMEDA
            MIGUEL ALVARADO, individually and on behalf of all others similarly situated, Plaintiff,
            v. HARBORLINE LOGISTICS, INC., Defendant.
            CLASS ACTION COMPLAINT AND REPRESENTATIVE ACTION UNDER PAGA
            1. Failure to provide rest periods (Lab. Code § 226.7)
            2. Failure to provide accurate wage statements (Lab. Code § 226)
            3. Civil penalties under PAGA (Lab. Code § 2698 et seq.)
            Class period: four years before filing; approx. 600 non-exempt warehouse employees.
        """)),
        T("lexis_search", {"query": "rest period premium pay PAGA derivative wage statement penalties stacking", "jurisdiction": "CA"}, Out("""
            1. Soto v. Harlan Distribution (Cal. 2024) - unpaid rest-period premiums can support derivative wage-statement claims...
            2. Whitford v. Coastal Carriers (9th Cir. 2025) - removal under CAFA of combined class/PAGA complaint; PAGA claims remanded...
        """)),
        A("Exposure has three layers: rest-period premiums (one hour of pay per missed day) for the class, "
          "derivative wage-statement penalties (Soto), and PAGA penalties for the one-year period. If they "
          "remove under CAFA, Whitford suggests the PAGA claim gets sent back to state court."),
        U("Good. Kevin will help with research overflow on this one. He cite-checks my briefs before filing, "
          "and I cite-check his."),
        A("Got it. I'll keep a running case list so Kevin can pick up the cite-check quickly."),
        U("Draft the email recap of my call with Renata: we got the complaint, response due in 30 days from "
          "service, I'll have an exposure memo by Friday."),
        T("write", {"file_path": "Matters/Harborline/2291-007/2026-07-06_email_renata_call-recap.txt", "content": "Subject: Alvarado v. Harborline - recap of today's call\n\nRenata,\n\nThanks for the call this morning. To recap: Harborline was served with the Alvarado complaint on July 2; the response is due 30 days after service (August 3). I will send a short exposure memo, including PAGA, by Friday...\n"},
          "File created successfully at: Matters/Harborline/2291-007/2026-07-06_email_renata_call-recap.txt"),
        U("Open a new matter number for this, it's not 2291-004. Sofia will set it up; use 2291-007 for now."),
        A("The files are already under 2291-007."),
    ]),

    S("08", "brightwater-portal-delivery", "2026-07-15T13:30:00Z", "Brightwater: deliver through the board portal", [
        U("Brightwater changed their process: PDFs only now, uploaded to their board portal, no more Word "
          "files. Convert the non-renewal memo so I can upload it."),
        T("bash", {"command": "soffice --headless --convert-to pdf --outdir Matters/Brightwater/3107-001/ 'Matters/Brightwater/3107-001/2026-06-08_brightwater_nonrenewal_v2.docx'"},
          "convert Matters/Brightwater/3107-001/2026-06-08_brightwater_nonrenewal_v2.docx -> Matters/Brightwater/3107-001/2026-06-08_brightwater_nonrenewal_v2.pdf using filter : writer_pdf_Export"),
        A("PDF saved next to the Word file. The privilege legend survived the conversion on every page."),
        U("Brightwater also has a writ petition in front of Judge Lavinia Sato. Pull her standing order and check "
          "page limits before we draft anything; I always want the standing order checked first.", "M-standing"),
        T("web_search", {"query": "Judge Lavinia Sato standing order writ of mandate page limits"}, Out("""
            Hon. Lavinia Sato - Standing Order for Writ Proceedings (2025)
            - Opening brief on the writ: 20 pages; opposition: 20 pages; reply: 10 pages.
            - Administrative record must be lodged with a bookmarked index 30 days before the hearing.
            - Tables of contents and authorities do not count toward page limits.
        """)),
        A("Judge Sato: 20 pages for the opening and opposition briefs, 10 for the reply; the record must be "
          "lodged 30 days before the hearing with a bookmarked index. Tables don't count."),
        U("Thirty days before the hearing, I'll tell Sofia to calendar it."),
        U("Careful not to mix the clients up: Harborline still wants contract redlines as Word track changes, "
          "never PDF. It's only Brightwater that went PDF-only."),
        A("Understood: Brightwater gets PDFs through the portal; Harborline gets Word track changes."),
        T("write", {"file_path": "Matters/Brightwater/3107-002/2026-07-15_sato_writ_checklist.txt", "content": "Judge Sato writ checklist\n- Opening brief <= 20 pp (tables excluded)\n- Lodge administrative record + bookmarked index 30 days before hearing (Sofia to calendar)\n- Reply <= 10 pp\n"},
          "File created successfully at: Matters/Brightwater/3107-002/2026-07-15_sato_writ_checklist.txt"),
        U("Perfect."),
    ]),

    S("09", "westlaw-only-research", "2026-08-03T09:45:00Z", "Hartwell research in Westlaw after the Lexis cancellation", [
        U("FYI, the firm dropped Lexis on July 31, everything is in Westlaw now. Can you redo the Hartwell search "
          "on the 'usual course of business' prong in Westlaw?"),
        T("westlaw_search", {"query": "\"usual course\" hiring entity business dental hygienist ABC test prong B", "jurisdiction": "CA"}, Out("""
            1. Fairweather v. Orchard Family Dentistry (Cal. Ct. App. 2023) - prong B not met; hygiene services integral to practice...
            2. Lindqvist v. Coastal Smiles Group (Cal. Ct. App. 2025) - prong B met for a mobile teeth-whitening vendor; services not part of the practice's usual course...
            3. Patel v. Redwood Dental Partners (N.D. Cal. 2025) - following Fairweather...
        """)),
        A("Westlaw surfaces one new case, Lindqvist (2025). It goes the other way, but only for a mobile "
          "whitening vendor, which helps show where the line is. Fairweather is still the closest fit for "
          "Hartwell's hygienists."),
        T("keycite", {"citations": ["Lindqvist v. Coastal Smiles Group (Cal. Ct. App. 2025)", "Fairweather v. Orchard Family Dentistry (Cal. Ct. App. 2023)"]}, Out("""
            Lindqvist v. Coastal Smiles Group          no negative history
            Fairweather v. Orchard Family Dentistry    no negative history; cited by 6
        """)),
        U("Then draft an update email to Gina. There's settlement talk in it, so remember: nothing about the "
          "settlement numbers in the subject line for Hartwell.", "M-subject"),
        T("write", {"file_path": "Matters/Hartwell/4420-002/2026-08-03_email_gina_research-update.txt", "content": "Subject: Hartwell matter - research update\n\nGina,\n\nA quick update. A 2025 decision (Lindqvist) found a vendor was properly treated as a contractor, but on facts quite different from ours... Given that, our view on the $85,000 proposal from June has not changed...\n"},
          "File created successfully at: Matters/Hartwell/4420-002/2026-08-03_email_gina_research-update.txt"),
        A("Drafted with a neutral subject (\"Hartwell matter - research update\"); the figure appears only in the body."),
        U("Good. Oh, and matter documents live in Clio now. The K: drive is only for the brief bank."),
        A("Understood: Clio for matter documents, K: only for the brief bank."),
        U("Thanks, I'll send it after lunch."),
    ]),

    S("10", "hartwell-new-office-manager", "2026-08-11T14:10:00Z", "Hartwell: new office manager, opposition brief", [
        U("Gina Paulsen left Hartwell; the new office manager is Marcus Reed, so send everything to him now. "
          "Update the research-update email before I send it.", "B-hartwell"),
        T("edit", {"file_path": "Matters/Hartwell/4420-002/2026-08-03_email_gina_research-update.txt",
                   "old_string": "Gina,\n",
                   "new_string": "Marcus,\n"},
          "The file Matters/Hartwell/4420-002/2026-08-03_email_gina_research-update.txt has been updated."),
        A("Updated the greeting. The earlier threads were with Gina, so you may want a line introducing "
          "yourself and the matter to Marcus."),
        U("Good idea, add one sentence."),
        T("edit", {"file_path": "Matters/Hartwell/4420-002/2026-08-03_email_gina_research-update.txt",
                   "old_string": "Marcus,\n\nA quick update.",
                   "new_string": "Marcus,\n\nI understand you've taken over from Gina; I'm the associate handling the hygienists' claims with Margaret Aldana. A quick update."},
          "The file Matters/Hartwell/4420-002/2026-08-03_email_gina_research-update.txt has been updated."),
        U("Now the opposition brief for Judge Carrow. Check pin cites on every quote again, Kevin found two "
          "missing last time.", "M-pincite"),
        T("grep", {"pattern": "\"[^\"]{20,}\" \\([A-Z][^)]*\\)$", "path": "Matters/Hartwell/4420-002/2026-08-10_opp_msj_v2.docx.txt"}, Out("""
            41:... is "an integral part of the services the practice holds itself out as providing" (Fairweather v. Orchard Family Dentistry)
            77:... "the hiring entity's usual course of business" (Lab. Code § 2775(b)(1)(B))
        """)),
        A("Line 41 quotes Fairweather without a page; line 77 is a statute, which is fine without one. "
          "KeyCite puts the Fairweather quote at p. 612."),
        U("Also: Ninth Circuit and Cal Supreme Court first in the string cites, as usual.", "K-ninth"),
        T("edit", {"file_path": "Matters/Hartwell/4420-002/2026-08-10_opp_msj_v2.docx.txt",
                   "old_string": "(Fairweather v. Orchard Family Dentistry)",
                   "new_string": "(Fairweather v. Orchard Family Dentistry, at p. 612)"},
          "The file Matters/Hartwell/4420-002/2026-08-10_opp_msj_v2.docx.txt has been updated."),
        A("Pin cite added. The string cite on page 6 already leads with the Supreme Court case; no Ninth "
          "Circuit authority in this one."),
        U("Good, thanks."),
    ]),

    S("11", "kevin-overflow-research", "2026-08-19T10:30:00Z", "Kevin's overflow research on the Harborline opposition", [
        U("Margaret raised the pre-approval threshold to 5 hours per research question, so Kevin can go up to "
          "5 before asking her.", "B-threshold"),
        A("Noted: up to 5 hours per question before Margaret needs to approve."),
        U("Kevin's drafting the Harborline class-cert opposition for Judge Ferris in the Northern District. Make "
          "sure he checks the judge's standing order first: page limits and the meet-and-confer certification.",
          "M-standing"),
        T("web_search", {"query": "N.D. Cal. Judge Ferris standing order civil cases class certification page limit"}, Out("""
            Standing Order for Civil Cases - Judge Thomas Ferris (N.D. Cal.)
            - Class certification motions and oppositions: 25 pages; replies: 15 pages.
            - Every motion must include a certification that counsel met and conferred by phone or video.
            - Chambers copies of filings over 50 pages, tabbed, delivered within two days.
        """)),
        A("Judge Ferris: 25 pages for class-cert oppositions, a meet-and-confer certification on every motion, "
          "and chambers copies for anything over 50 pages."),
        U("Write Kevin a short message with that. And tell him to KeyCite everything before it goes in, and that "
          "I'll cite-check his draft like he does mine.", "K-keycite"),
        T("write", {"file_path": "Matters/Harborline/2291-007/2026-08-19_note_to_kevin.txt", "content": "Kevin - for the Alvarado class-cert opposition (Judge Ferris, N.D. Cal.):\n- 25-page limit; meet-and-confer certification required on every motion; chambers copies over 50 pages.\n- KeyCite every case before it goes in.\n- Bluebook (federal court).\n- Up to 5 research hours per question before checking with Margaret.\n- I'll cite-check your draft before it goes to Sofia for filing.\n"},
          "File created successfully at: Matters/Harborline/2291-007/2026-08-19_note_to_kevin.txt"),
        U("Bluebook is right since it's federal. Filing goes through Sofia as always; she wants it by 3 p.m. on "
          "the due date."),
        A("Added a line to the note: final PDF to Sofia by 3 p.m. on the due date."),
        T("edit", {"file_path": "Matters/Harborline/2291-007/2026-08-19_note_to_kevin.txt",
                   "old_string": "- I'll cite-check your draft before it goes to Sofia for filing.\n",
                   "new_string": "- I'll cite-check your draft before it goes to Sofia for filing.\n- Final PDF to Sofia by 3 p.m. on the due date; she files it.\n"},
          "The file Matters/Harborline/2291-007/2026-08-19_note_to_kevin.txt has been updated."),
        U("Thanks, sending it to him."),
    ]),

    S("12", "harborline-paga-notice", "2026-08-27T16:00:00Z", "Harborline: a new PAGA notice", [
        U("Harborline got a PAGA notice filed with the LWDA on behalf of a driver. What's the timeline? Memo for "
          "Renata, and like every Harborline memo it has to address PAGA exposure, which is the whole point this "
          "time. Keep it under two pages.", "M-paga", "K-twopages"),
        T("westlaw_search", {"query": "PAGA pre-filing notice LWDA review period cure early evaluation employer response timeline", "jurisdiction": "CA"}, Out("""
            1. Lab. Code § 2699.3 - notice to the agency and employer; agency review period; cure procedures
            2. Ashgrove v. Marlin Staffing (Cal. 2023) - standing...
            3. Ramirez v. Silverline Transport (9th Cir. 2026) - a PAGA notice must describe facts and theories specifically enough for the agency to investigate...
        """)),
        A("Timeline: the agency has a fixed review period after the notice before the driver can sue, and "
          "Harborline can use the cure and early-evaluation options in the meantime. Ramirez (9th Cir. 2026) "
          "gives a way to challenge a vague notice."),
        U("Lead with the Ninth Circuit and the Cal Supreme Court cases, then the statute discussion.", "K-ninth"),
        T("keycite", {"citations": ["Ramirez v. Silverline Transport (9th Cir. 2026)", "Ashgrove v. Marlin Staffing (Cal. 2023)"]}, Out("""
            Ramirez v. Silverline Transport    no negative history
            Ashgrove v. Marlin Staffing        no negative history; cited by 41
        """)),
        T("write", {"file_path": "Matters/Harborline/2291-008/2026-08-27_harborline_paga-notice_v1.docx", "content": "SHORT ANSWER\nHarborline has until the end of the agency's review period to cure or request an early evaluation... Ramirez v. Silverline Transport (9th Cir. 2026) supports challenging the notice as too vague...\n\nPAGA EXPOSURE\n...\n\nOPEN QUESTIONS\n1. Is the driver classified as an employee or a contractor?\n2. Has Harborline received other PAGA notices in the last year?\n"},
          "File created successfully at: Matters/Harborline/2291-008/2026-08-27_harborline_paga-notice_v1.docx"),
        T("bash", {"command": "pandoc 'Matters/Harborline/2291-008/2026-08-27_harborline_paga-notice_v1.docx' -t plain | wc -w"},
          "     744"),
        A("744 words, about a page and a half, with short answer, exposure and open questions."),
        U("Great. I'll call Renata first, then send it with the recap. Thanks, good week."),
    ]),
]


# =================================================================================================
# Assembly: ids, times, hashes, the store and session JSON, the labels, and the checks.
# =================================================================================================

SLOW_COMMANDS = ("pytest", "make test", "install", "uv sync", "gh run watch", "alembic upgrade", "make migrate")


def check(condition: bool, message: str) -> None:
    if not condition:
        raise AssertionError(message)


def build_sessions(dataset: str, specs: list) -> tuple[list, dict, dict]:
    """Session JSON objects, tag -> [(session_id, event_id, text)], and num -> session info."""
    sessions, tags, info = [], {}, {}
    prev_end = None
    for spec in specs:
        sid = make_id("sesn", dataset, spec["slug"])
        start = parse_ts(spec["start"])
        check(prev_end is None or start > prev_end, f"{dataset} session {spec['num']} starts before the previous ends")
        check(spec["num"] not in info, f"{dataset}: session number {spec['num']} used twice")
        check(spec["items"] and spec["items"][0]["kind"] == "user", f"{dataset} {spec['num']}: must open with a user turn")
        t = start
        events: list[dict] = []
        slug = spec["slug"]

        def next_id(slug: str = slug, events: list = events) -> str:
            return make_id("sevt", dataset, slug, str(len(events)))

        for item in spec["items"]:
            kind = item["kind"]
            if kind == "user":
                t += timedelta(seconds=4 if not events else 45 + min(len(item["text"]) // 2, 480))
                eid = next_id()
                events.append({"id": eid, "type": "user.message",
                               "content": [{"type": "text", "text": item["text"]}], "processed_at": fmt_ts(t)})
                for tag in item["tags"]:
                    tags.setdefault(tag, []).append((sid, eid, item["text"]))
            elif kind == "agent":
                t += timedelta(seconds=5 + len(item["text"]) // 30)
                events.append({"id": next_id(), "type": "agent.message",
                               "content": [{"type": "text", "text": item["text"]}], "processed_at": fmt_ts(t)})
            else:
                t += timedelta(seconds=3 + len(json.dumps(item["input"], ensure_ascii=False)) // 80)
                use_id = next_id()
                events.append({"id": use_id, "type": "agent.tool_use", "name": item["name"],
                               "input": item["input"], "processed_at": fmt_ts(t)})
                command = str(item["input"].get("command", ""))
                slow = 20 + small_hash(dataset, spec["slug"], str(len(events))) % 50 if any(k in command for k in SLOW_COMMANDS) else 0
                slow += 6 if item["name"].endswith("_search") else 0
                t += timedelta(seconds=1 + len(item["output"]) // 150 + slow)
                events.append({"id": next_id(), "type": "agent.tool_result", "tool_use_id": use_id,
                               "content": [{"type": "text", "text": item["output"]}],
                               "is_error": bool(item["is_error"]), "processed_at": fmt_ts(t)})
        prev_end = t
        session = {"type": "session", "id": sid, "created_at": fmt_ts(start), "title": spec["title"],
                   "events": events}
        sessions.append(session)
        info[spec["num"]] = {"id": sid, "start": start, "end": t,
                             "file": f"{spec['num']}-{spec['slug']}.json", "session": session}
    return sessions, tags, info


def doc_content(title: str, texts: list) -> str:
    return f"# {title}\n\n" + "".join(f"- {text}\n" for text in texts)


def build_store(dataset: str, meta: dict, docs: list, info: dict) -> tuple[dict, dict, dict]:
    """The store JSON, note name -> note record, and path -> document record."""
    store_id = make_id("memstore", dataset, meta["name"])
    store_created = parse_ts(meta["created_at"])

    def written_at(num: str, path: str, what: str) -> datetime:
        check(num in info, f"{dataset} {path}: no session {num}")
        return info[num]["end"] + timedelta(seconds=60 + small_hash(dataset, path, what) % 120)

    notes: dict[str, dict] = {}
    by_path: dict[str, dict] = {}
    memories, versions = [], []
    for doc in sorted(docs, key=lambda d: d["path"]):
        path = doc["path"]
        check(path not in by_path, f"{dataset}: path {path} used twice")
        mem_id = make_id("mem", dataset, path)
        created = written_at(doc["created"], path, "created")
        updated = created if doc["updated"] == doc["created"] else written_at(doc["updated"], path, "updated")
        check(created >= store_created, f"{path}: created before the store")
        check(updated >= created, f"{path}: updated_at before created_at")
        names = [n for n, _, _ in doc["notes"]]
        texts = [text for _, _, text in doc["notes"]]
        for index, (name, label, text) in enumerate(doc["notes"]):
            check(name not in notes, f"{dataset}: note name {name!r} used twice")
            check(label in LABELS, f"{name}: unknown label {label!r}")
            check(text == text.strip() and "\n" not in text and text, f"{name}: bullet must be one trimmed line")
            notes[name] = {"key": f"{mem_id}#{index}", "memory_id": mem_id, "path": path, "index": index,
                           "text": text, "label": label, "updated_at": updated, "created_at": created}
        content = doc_content(doc["title"], texts)
        memories.append({
            "type": "memory", "id": mem_id, "memory_store_id": store_id, "path": path, "content": content,
            "content_sha256": sha256_hex(content), "content_size_bytes": len(content.encode("utf-8")),
            "memory_version_id": make_id("memver", dataset, path, "current"),
            "created_at": fmt_ts(created), "updated_at": fmt_ts(updated),
        })
        by_path[path] = {"id": mem_id, "created": created, "updated": updated, "content": content}
        previous = None
        for number, (num, held) in enumerate(doc["versions"]):
            check(all(h in names for h in held), f"{path}: version {number} names an unknown note")
            when = created if number == 0 else written_at(num, path, f"version-{number}")
            check(number > 0 or num == doc["created"], f"{path}: the first version must be the creating session")
            check(previous is None or when > previous, f"{path}: versions out of order")
            check(when < updated, f"{path}: an older version must predate updated_at")
            previous = when
            old = doc_content(doc["title"], [text for name, _, text in doc["notes"] if name in held])
            check(old != content, f"{path}: version {number} equals the current content")
            versions.append({
                "type": "memory_version", "id": make_id("memver", dataset, path, str(number)),
                "memory_id": mem_id, "memory_store_id": store_id,
                "operation": "created" if number == 0 else "modified", "path": path, "content": old,
                "content_sha256": sha256_hex(old), "content_size_bytes": len(old.encode("utf-8")),
                "created_at": fmt_ts(when),
                "created_by": {"type": "session_actor", "session_id": info[num]["id"]},
            })
    store = {"type": "memory_store", "id": store_id, "name": meta["name"], "description": meta["description"],
             "created_at": meta["created_at"], "memories": memories, "memory_versions": versions}
    return store, notes, by_path


def build_labels(dataset: str, planted: dict, notes: dict, tags: dict, info: dict, minimums: dict) -> dict:
    def key(name: str) -> str:
        check(name in notes, f"{dataset}: labels name an unknown note {name!r}")
        return notes[name]["key"]

    def label_of(name: str) -> str:
        key(name)
        return notes[name]["label"]

    def turns_for(tag: str) -> list:
        check(tag in tags, f"{dataset}: no session turn is tagged {tag!r}")
        return tags[tag]

    session_start = {v["id"]: v["start"] for v in info.values()}

    duplicates, dup_of = [], {}
    for members, kind, canonical in planted["duplicates"]:
        check(canonical in members and len(members) >= 2, f"{dataset}: bad duplicate group {members}")
        check(kind in ("verbatim", "paraphrase"), f"{dataset}: bad duplicate kind {kind}")
        for m in members:
            key(m)
        texts = [notes[m]["text"] for m in members]
        paths = [notes[m]["path"] for m in members]
        check(len(set(paths)) == len(paths), f"{dataset}: duplicate group {members} repeats a document")
        if kind == "verbatim":
            check(len(set(texts)) == 1, f"{dataset}: verbatim group {members} differs")
        else:
            check(len(set(texts)) == len(texts), f"{dataset}: paraphrase group {members} has identical texts")
        for m in members:
            check(m not in dup_of, f"{dataset}: {m} in two duplicate groups")
            dup_of[m] = canonical
            check(label_of(m) == ("keep" if m == canonical else "duplicate"),
                  f"{dataset}: {m} should be labelled {'keep' if m == canonical else 'duplicate'}")
        duplicates.append({"notes": [key(m) for m in members], "kind": kind, "canonical": key(canonical)})

    near_misses = []
    for pair, why in planted["near_misses"]:
        a, b = pair
        check(notes[a]["text"] != notes[b]["text"], f"{dataset}: near miss {pair} is identical")
        check(dup_of.get(a, a) != dup_of.get(b, b), f"{dataset}: near miss {pair} is a duplicate group")
        check(label_of(a) in ("keep", "conflict_new") and label_of(b) in ("keep", "conflict_new"),
              f"{dataset}: near miss {pair} must be two facts that survive")
        near_misses.append({"notes": [key(a), key(b)], "why": why})

    conflicts = []
    for c in planted["conflicts"]:
        old = c["old"]
        check(label_of(old) == "conflict_old", f"{dataset}: {old} should be conflict_old")
        if "new" in c:
            new = c["new"]
            check(label_of(new) == "conflict_new", f"{dataset}: {new} should be conflict_new")
            check(notes[new]["updated_at"] > notes[old]["updated_at"],
                  f"{dataset}: {new}'s document is not newer than {old}'s")
            check(notes[new]["path"] != notes[old]["path"], f"{dataset}: conflict {old}/{new} share a document")
            evidence = None
        else:
            found = turns_for(c["evidence"])
            check(len(found) == 1, f"{dataset}: tag {c['evidence']} must mark exactly one turn")
            sid, eid, text = found[0]
            check(c["quote"] in text, f"{dataset}: quote {c['quote']!r} not in turn {eid}")
            check(session_start[sid] > notes[old]["updated_at"],
                  f"{dataset}: evidence for {old} is not later than its document")
            new, evidence = None, {"session_id": sid, "turn_id": eid, "quote": c["quote"]}
        conflicts.append({"old": key(old), "new": key(new) if new else None, "new_evidence": evidence,
                          "subject": c["subject"], "latest_value": c["latest_value"]})

    stale = []
    for name, why in planted["stale"]:
        check(label_of(name) == "stale", f"{dataset}: {name} should be labelled stale")
        check(why in ("temporary", "one_off", "superseded"), f"{dataset}: bad stale reason {why}")
        stale.append({"note": key(name), "why": why})

    all_note_texts = [n["text"] for n in notes.values()]
    missing = []
    for m in planted["missing_facts"]:
        found = turns_for(m["tag"])
        for _sid, eid, text in found:
            for word in m["keywords"]:
                check(word.lower() in text.lower(), f"{dataset}: keyword {word!r} not in turn {eid} ({m['tag']})")
        for text in all_note_texts:
            check(not all(w.lower() in text.lower() for w in m["keywords"]),
                  f"{dataset}: missing fact {m['tag']} is already in the store: {text!r}")
        sessions = sorted({sid for sid, _, _ in found}, key=lambda s: session_start[s])
        check(len(sessions) >= 2, f"{dataset}: missing fact {m['tag']} recurs in fewer than 2 sessions")
        missing.append({"fact": m["fact"], "keywords": m["keywords"], "sessions": sessions,
                        "turns": [eid for _, eid, _ in found], "best_path": m["best_path"]})

    supported = []
    for s in planted["old_but_supported"]:
        name = s["note"]
        check(label_of(name) == "keep", f"{dataset}: old-but-supported {name} must be keep")
        found = turns_for(s["tag"])
        for sid, eid, text in found:
            for word in s["keywords"]:
                check(word.lower() in text.lower(), f"{dataset}: keyword {word!r} not in turn {eid} ({s['tag']})")
            check(session_start[sid] > notes[name]["updated_at"], f"{dataset}: support for {name} is not later")
        supported.append({"note": key(name), "sessions": sorted({sid for sid, _, _ in found}, key=lambda x: session_start[x]),
                          "turns": [eid for _, eid, _ in found]})

    # Every label agrees with the planted lists, both ways.
    in_lists = {
        "duplicate": {m for members, _, canonical in planted["duplicates"] for m in members if m != canonical},
        "conflict_old": {c["old"] for c in planted["conflicts"]},
        "conflict_new": {c["new"] for c in planted["conflicts"] if "new" in c},
        "stale": {name for name, _ in planted["stale"]},
    }
    for label, names in in_lists.items():
        labelled = {n for n, rec in notes.items() if rec["label"] == label}
        check(labelled == names, f"{dataset}: notes labelled {label} {sorted(labelled ^ names)} disagree with the lists")

    ordered = sorted(notes.values(), key=lambda r: (r["path"], r["index"]))
    keep = [r["key"] for r in ordered if r["label"] in ("keep", "conflict_new")]
    low_value = [r["key"] for r in ordered if r["label"] == "low_value"]

    used_tags = {t for m in planted["missing_facts"] for t in [m["tag"]]}
    used_tags |= {c["evidence"] for c in planted["conflicts"] if "evidence" in c}
    used_tags |= {s["tag"] for s in planted["old_but_supported"]}
    check(set(tags) == used_tags, f"{dataset}: unused or unknown tags {sorted(set(tags) ^ used_tags)}")

    kind_a = sum(1 for c in conflicts if c["new"])
    kind_b = sum(1 for c in conflicts if c["new_evidence"])
    counts = {
        "docs": len({r["path"] for r in notes.values()}), "notes": len(notes),
        "duplicates": len(duplicates), "verbatim": sum(d["kind"] == "verbatim" for d in duplicates),
        "paraphrase": sum(d["kind"] == "paraphrase" for d in duplicates),
        "triples": sum(len(d["notes"]) >= 3 for d in duplicates),
        "near_misses": len(near_misses), "conflicts": len(conflicts), "conflicts_a": kind_a,
        "conflicts_b": kind_b, "stale": len(stale), "low_value": len(low_value), "missing_facts": len(missing),
        "old_but_supported": len(supported),
    }
    for name, minimum in minimums.items():
        check(counts[name] >= minimum, f"{dataset}: {name} = {counts[name]}, need at least {minimum}")

    return {
        "notes": {r["key"]: {"memory_id": r["memory_id"], "path": r["path"], "index": r["index"],
                             "text": r["text"], "label": r["label"]} for r in ordered},
        "duplicates": duplicates,
        "near_misses": near_misses,
        "conflicts": conflicts,
        "stale": stale,
        "low_value": low_value,
        "keep": keep,
        "missing_facts": missing,
        "old_but_supported": supported,
        "_counts": counts,
    }


def check_sessions(dataset: str, sessions: list, limits: dict) -> int:
    total = 0
    for s in sessions:
        events = s["events"]
        check(limits["min_events"] <= len(events) <= limits["max_events"],
              f"{dataset} {s['title']!r}: {len(events)} events")
        times = [e["processed_at"] for e in events]
        check(times == sorted(times) and len(set(times)) == len(times), f"{dataset} {s['title']!r}: times not increasing")
        check(s["created_at"] < times[0], f"{dataset} {s['title']!r}: first event before created_at")
        for i, e in enumerate(events):
            if e["type"] == "agent.tool_result":
                check(i > 0 and events[i - 1]["type"] == "agent.tool_use" and events[i - 1]["id"] == e["tool_use_id"],
                      f"{dataset}: tool result {e['id']} does not follow its tool use")
        total += len(events)
    check(len(sessions) >= limits["min_sessions"], f"{dataset}: only {len(sessions)} sessions")
    check(limits["min_total"] <= total <= limits["max_total"], f"{dataset}: {total} events in total")
    return total


def dump(obj) -> str:
    return json.dumps(obj, indent=2, ensure_ascii=False, sort_keys=False) + "\n"


def write(path: Path, text: str) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    with open(path, "w", encoding="utf-8", newline="\n") as fh:
        fh.write(text)


DATASETS = [
    {
        "name": "coding-assistant", "store": CODING_STORE, "docs": CODING_DOCS, "sessions": CODING_SESSIONS,
        "planted": CODING_PLANTED,
        "minimums": {"docs": 25, "notes": 80, "duplicates": 8, "verbatim": 3, "paraphrase": 5, "triples": 1,
                     "near_misses": 6, "conflicts": 8, "conflicts_a": 4, "conflicts_b": 4, "stale": 6,
                     "low_value": 5, "missing_facts": 6, "old_but_supported": 3},
        "limits": {"min_sessions": 40, "min_events": 6, "max_events": 20, "min_total": 600, "max_total": 900},
    },
    {
        "name": "legal-research", "store": LEGAL_STORE, "docs": LEGAL_DOCS, "sessions": LEGAL_SESSIONS,
        "planted": LEGAL_PLANTED,
        "minimums": {"docs": 8, "notes": 30, "duplicates": 2, "verbatim": 1, "paraphrase": 1, "triples": 0,
                     "near_misses": 2, "conflicts": 2, "conflicts_a": 1, "conflicts_b": 1, "stale": 2,
                     "low_value": 2, "missing_facts": 3, "old_but_supported": 1},
        "limits": {"min_sessions": 10, "min_events": 6, "max_events": 20, "min_total": 100, "max_total": 300},
    },
]


def main() -> int:
    labels = {"schema": 1, "datasets": {}}
    seen_ids: set[str] = set()
    summary = []
    for ds in DATASETS:
        name = ds["name"]
        sessions, tags, info = build_sessions(name, ds["sessions"])
        total_events = check_sessions(name, sessions, ds["limits"])
        store, notes, by_path = build_store(name, ds["store"], ds["docs"], info)
        as_of = max(v["end"] for v in info.values())
        for path, doc in by_path.items():
            check(doc["updated"] <= as_of, f"{name} {path}: written after the last session")
        result = build_labels(name, ds["planted"], notes, tags, info, ds["minimums"])
        counts = result.pop("_counts")

        ids = [store["id"]] + [m["id"] for m in store["memories"]] + [m["memory_version_id"] for m in store["memories"]]
        ids += [v["id"] for v in store["memory_versions"]] + [s["id"] for s in sessions]
        ids += [e["id"] for s in sessions for e in s["events"]]
        check(len(ids) == len(set(ids)) and not (set(ids) & seen_ids), f"{name}: id collision")
        seen_ids |= set(ids)
        for m in store["memories"] + store["memory_versions"]:
            check(m["content_sha256"] == sha256_hex(m["content"]), f"{m['path']}: bad sha256")
            lines = m["content"].split("\n")
            check(lines[0].startswith("# ") and lines[1] == "" and lines[-1] == "" and m["content"].endswith("\n"),
                  f"{m['path']}: must be '# Title', a blank line, bullets, final newline")
            check(all(line.startswith("- ") and "\n" not in line for line in lines[2:-1]) and len(lines) > 3,
                  f"{m['path']}: every body line must be one '- ' bullet")

        base = HERE / name
        session_dir = base / "sessions"
        if session_dir.exists():
            for old in sorted(session_dir.glob("*.json")):
                old.unlink()
        write(base / "store.json", dump(store))
        for num in sorted(info):
            write(session_dir / info[num]["file"], dump(info[num]["session"]))
        labels["datasets"][name] = {"store": f"{name}/store.json", "sessions": f"{name}/sessions",
                                    "as_of": fmt_ts(as_of), **result}
        summary.append(f"{name}: {counts['docs']} documents, {counts['notes']} notes, {len(sessions)} sessions, "
                       f"{total_events} events; duplicates {counts['duplicates']} ({counts['verbatim']} verbatim, "
                       f"{counts['paraphrase']} paraphrase), near misses {counts['near_misses']}, conflicts "
                       f"{counts['conflicts']} ({counts['conflicts_a']} in store, {counts['conflicts_b']} in sessions), "
                       f"stale {counts['stale']}, low value {counts['low_value']}, missing facts "
                       f"{counts['missing_facts']}, old but supported {counts['old_but_supported']}, "
                       f"keep {len(result['keep'])}")
    write(HERE / "labels.json", dump(labels))

    size = sum(p.stat().st_size for p in HERE.rglob("*") if p.is_file())
    check(size < 2 * 1024 * 1024, f"sample-data is {size} bytes, over 2 MB")
    for line in summary:
        print(line)
    print(f"sample-data total: {size:,} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
