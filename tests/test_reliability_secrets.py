"""Secrets are flagged (detect-secrets plus the shapes it lacks) and redacted in every artifact that
quotes a note — plan.json, decisions, CHANGES.md, manifest.json — unless the person opts in.

Every secret here is built from pieces at run time, so no key-shaped literal sits in the repository.
"""

from __future__ import annotations

import base64
import json
from dataclasses import replace

import pytest
from reliability import GITHUB, STRIPE, T0, cli, deleting_plan, small_store, write_inputs

from workbench.cli import main
from workbench.dream.plan import Operation, Result, Target, apply_operations
from workbench.export import export_snapshot
from workbench.io import load_store
from workbench.records import Memory, Store
from workbench.review import Review, apply, plan_digest
from workbench.secrets import find_secrets, redact, restorer, scan


def b64(data: dict) -> str:
    return base64.urlsafe_b64encode(json.dumps(data).encode()).decode().rstrip("=")


JWT = b64({"alg": "HS256", "typ": "JWT"}) + "." + b64({"sub": "u_1", "name": "Dana"}) + "." + "Sf" + "lKxwRJSMeKKF2QT4fw" * 2
SHAPES = {
    # the seven shapes flagged before
    "anthropic_api_key": "ANTHROPIC_API_KEY=" + "sk-" + "ant-api03-" + "Zq7" * 10,
    "openai_api_key": "The OpenAI key is " + "sk-" + "proj-" + "Ab9" * 9,
    "aws_access_key": "aws_access_key_id " + "AK" + "IA" + "QX7Z" * 4,
    "github_token": "CI token " + GITHUB,
    "slack_token": "Slack bot " + "xo" + "xb-" + "1234567890-" + "abcdefghijKLMN",
    "private_key": "-----BEGIN RSA " + "PRIVATE KEY-----\nMIIEowIBAAKCAQEA7\n-----END RSA " + "PRIVATE KEY-----",
    "password": "staging db password = " + "hunter2" + "Qx",
    # the seven shapes missed before
    "github_fine_grained_token": "token " + "github_" + "pat_11ABCDEFG0" + "x" * 12 + "_" + "Yz9" * 19 + "q",
    "stripe_key": "Billing: " + STRIPE + "Xy" * 20,
    "google_api_key": "Maps key " + "AI" + "za" + "SyD-" + "k9" * 15 + "x",
    "jwt": "session cookie " + JWT,
    "url_password": "DATABASE_URL=postgres://app:" + "S3cr" + "etPw9@db.internal:5432/payments",
    "bearer_token": "curl -H 'Authorization: Bearer " + "tok_" + "9f8e7d6c5b4a39281706abcdef' https://api",
}


@pytest.mark.parametrize("kind", SHAPES)
def test_each_common_secret_shape_is_flagged_and_redacted(kind):
    line = SHAPES[kind]
    store = Store((Memory("m1", "/ops/keys.md", f"# Keys\n\n{line}\n", created_at=T0, updated_at=T0),))
    flagged = find_secrets(store)
    assert flagged and flagged[0]["kind"] == kind and flagged[0]["line"] == 3
    found = scan(line)
    redacted = redact(line)
    assert all(f.value not in redacted for f in found) and f"[REDACTED {kind} " in redacted
    assert redact(redacted) == redacted and restorer([line])(redacted) == line


def test_a_key_in_a_memory_path_is_flagged_without_showing_it():
    path = f"/keys/{GITHUB}.md"
    store = Store((Memory("m1", path, "- The deploy key file.\n", created_at=T0, updated_at=T0),))
    flagged = find_secrets(store)
    assert flagged == [{"path": redact(path), "line": 0, "kind": "github_token"}]
    assert GITHUB not in json.dumps(flagged)


@pytest.mark.parametrize("text", [
    "Passwords must be at least 12 characters.",
    "Ask Luis for the token; never paste it here.",
    "The content sha256 is 9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08.",
    "Fixed in commit 3f2a9c1d8e7b6a5f4e3d2c1b0a9f8e7d6c5b4a39 on main.",
    "The staging database is postgres://staging-db.internal:5432/app (no password in the URL).",
    "Request id req_01JVB0AA0000000000000001 failed; retry after 30 s.",
    "Deploys go out Tuesday and Thursday after 14:00 UTC.",
])
def test_ordinary_text_is_left_alone(text):
    assert scan(text) == [] and redact(text) == text


# --- the artifacts ----------------------------------------------------------------------------


@pytest.fixture
def inputs(tmp_path):
    return write_inputs(tmp_path / "in")


def test_dream_writes_a_plan_without_secret_values_unless_asked(inputs, tmp_path, capsys):
    assert main(["dream", str(inputs["store"]), "--out", str(tmp_path / "plan.json")]) == 0
    text = (tmp_path / "plan.json").read_text(encoding="utf-8")
    assert GITHUB not in text and STRIPE not in text and "[REDACTED github_token " in text
    assert main(["dream", str(inputs["store"]), "--out", str(tmp_path / "raw.json"), "--keep-secrets"]) == 0
    assert GITHUB in (tmp_path / "raw.json").read_text(encoding="utf-8")


def test_a_deleted_secret_survives_in_no_artifact_of_an_export(inputs, tmp_path):
    proc = cli("export", inputs["store"], inputs["plan"], "--decisions", inputs["decisions"], "--out",
               tmp_path / "snap", "--allow-large-change")
    assert proc.returncode == 0, proc.stderr
    snap = tmp_path / "snap"
    for name in ("manifest.json", "CHANGES.md"):
        text = (snap / name).read_text(encoding="utf-8")
        assert GITHUB not in text and STRIPE not in text, name
    assert "[REDACTED github_token " in (snap / "CHANGES.md").read_text(encoding="utf-8")
    memories = "".join(p.read_text(encoding="utf-8") for p in (snap / "memories").rglob("*.md"))
    assert GITHUB not in memories and STRIPE in memories  # the deleted note is gone; the kept one is the store's
    assert "possible secret (stripe_key) in /ops/access.md" in proc.stderr
    assert STRIPE not in proc.stderr


def test_keep_secrets_writes_the_values_where_the_person_asked(inputs, tmp_path):
    proc = cli("export", inputs["store"], inputs["plan"], "--decisions", inputs["decisions"], "--out",
               tmp_path / "snap", "--allow-large-change", "--keep-secrets")
    assert proc.returncode == 0, proc.stderr
    assert GITHUB in (tmp_path / "snap" / "CHANGES.md").read_text(encoding="utf-8")
    assert json.loads((tmp_path / "snap" / "manifest.json").read_text(encoding="utf-8"))["redacted"] is False


def test_analyze_output_is_redacted(inputs, tmp_path, capsys):
    assert main(["analyze", str(inputs["store"]), "--out", str(tmp_path / "analysis.json")]) == 0
    text = (tmp_path / "analysis.json").read_text(encoding="utf-8")
    assert GITHUB not in text and STRIPE not in text


def test_a_redacted_plan_still_applies_to_the_input_store_and_gives_the_same_snapshot(tmp_path):
    store = small_store()
    note = next(n for n in store.notes if STRIPE in n.text)
    rotate = Operation("update", "conflict", (Target(note.id, note.path, note.text),),
                       Result(note.path, note.text.replace("Billing uses", "Billing now uses"), note_id=note.id),
                       "Newer wording.", confidence=0.9)
    plan = replace(deleting_plan(store, []), operations=[rotate])
    plan.output_store = apply_operations(store, plan.operations)
    (tmp_path / "store.json").write_text(json.dumps(store.to_dict()), encoding="utf-8")
    from workbench.secrets import json_text  # what `workbench dream --out` writes

    (tmp_path / "plan.json").write_text(json_text(plan.to_dict(), keep_secrets=False), encoding="utf-8")
    assert STRIPE not in (tmp_path / "plan.json").read_text(encoding="utf-8")
    from workbench.dream.plan import Plan

    reread = Plan.from_json((tmp_path / "plan.json").read_text(encoding="utf-8"))
    assert plan_digest(reread) == plan_digest(plan)  # decisions made on either apply to both
    review = Review(reread).approve_all()
    after = apply(load_store(tmp_path / "store.json"), reread, review)
    assert after == apply(store, plan, Review(plan).approve_all())
    assert STRIPE in after.by_path["/ops/access.md"].content


def test_a_placeholder_never_pulls_in_a_secret_the_store_does_not_hold():
    stranger = redact("token " + "gh" + "p_" + "Zz9" * 12)
    assert restorer([m.content for m in small_store().memories])(stranger) == stranger


def test_an_edit_with_a_secret_is_redacted_in_decisions_and_restored_on_export(inputs, tmp_path):
    from workbench.dream.plan import Plan

    store = load_store(inputs["store"])
    note = next(n for n in store.notes if STRIPE in n.text)
    keep = Operation("update", "conflict", (Target(note.id, note.path, note.text),),
                     Result(note.path, note.text, note_id=note.id), "Check.", confidence=0.9)
    plan = replace(deleting_plan(store, []), operations=[keep])
    review = Review(plan).edit(keep.id, f"Billing moved to the key {STRIPE} in May.", who="dana")
    review.save(tmp_path / "decisions.json")
    assert STRIPE not in (tmp_path / "decisions.json").read_text(encoding="utf-8")
    loaded = Review.load(Plan.from_json(plan.to_json()), tmp_path / "decisions.json")
    snap = export_snapshot(store, loaded.plan, loaded, tmp_path / "snap", allow_large_change=True)
    assert f"Billing moved to the key {STRIPE} in May." in (snap.path / "memories" / "ops" / "access.md").read_text()
