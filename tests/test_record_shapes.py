"""One definition per record shape: each dataclass and the pydantic model that reads its JSON are tied.

The dataclasses (`records`, `dream.plan`, `review`) are the records the code passes along; the models
(`workbench.schema`, and `workbench.io.json_schema` for the documented memory record) read the files back,
leniently (defaults for older files, range and literal checks, one-line errors). A field added to one and
not the other fails here: the names (both ways, for what is serialized), the JSON types, the defaults both
define, and a round trip of a record with every field set through its JSON and its model.
"""

from __future__ import annotations

import dataclasses
import json
from datetime import datetime, timezone

import pytest
from pydantic import TypeAdapter

from workbench import schema
from workbench.dream.effects import Change, ScopeEffect
from workbench.dream.plan import Choice, Evidence, Operation, Plan, Question, Result, Target
from workbench.focus import Focus
from workbench.io.json_schema import MemoryRecord
from workbench.records import Memory, Store
from workbench.review import Decision, Guardrail, Review, plan_digest

# dataclass → (model, dataclass field → JSON name, dataclass fields never written, model fields no dataclass holds)
PAIRS = {
    Target: (schema.TargetModel, {}, set(), set()),
    Result: (schema.ResultModel, {}, set(), set()),
    Evidence: (schema.EvidenceModel, {}, set(), set()),
    Operation: (schema.OperationModel, {}, set(), set()),
    Choice: (schema.ChoiceModel, {}, set(), set()),
    Question: (schema.QuestionModel, {}, set(), set()),
    Plan: (schema.PlanModel, {}, {"input_store"},  # the input store stays in the process; plan.json has its digest
           {"format", "summary"}),  # the file format, and a summary derived from the operations
    Decision: (schema.DecisionModel, {}, set(), set()),
    Guardrail: (schema.GuardrailModel, {}, set(), set()),
    Review: (schema.DecisionsModel, {"plan": "plan_digest"}, set(), {"format"}),
    Memory: (MemoryRecord, {"version_id": "memory_version_id"}, {"origin"},  # where it was read from
             {"type", "content_sha256", "content_size_bytes"}),  # derived from the content
    Store: (schema.StoreModel, {"versions": "memory_versions"}, {"origin"}, {"type"}),
}

AT = datetime(2026, 3, 2, 9, 0, tzinfo=timezone.utc)
MEMORY = Memory("mem_1", "/team/people.md", "# People\n\n- Mei owns deploys.\n", AT, AT, version_id="memver_1",
                author="agent", meta={"provenance": {"Mei owns deploys.": ["turn_1"]}})
TARGET = Target("mem_1#1", "/team/people.md", "Mei owns deploys.")
RESULT = Result("/team/people.md", "Mei and Tomás own deploys.", note_id="mem_1#1", whole_memory=True)
EVIDENCE = Evidence("Tomás owns deploys now.", session_id="sesn_1", turn_id="turn_1", note_id="mem_1#1")
OPERATION = Operation("update", "conflict", (TARGET,), RESULT, "Stated later.", (EVIDENCE,), confidence=0.9,
                      provenance=("turn_1",), depends_on=("op_other",), id="op_given", rule="conflict.newer")
CHOICE = Choice("update", "Tomás too", OPERATION)
QUESTION = Question("conflict", (TARGET,), "newer says otherwise", "conflict.newer", "update", 0.6,
                    (CHOICE, Choice("keep", "keep it")), value=0.5, evidence=(EVIDENCE,), candidates=("c_1",),
                    similarity=0.7, id="q_given")
STORE = Store((MEMORY,), id="memstore_1", name="team",
              versions=({"id": "memver_1", "memory_id": "mem_1", "content": MEMORY.content,
                         "created_at": "2026-03-02T09:00:00Z"},))
EFFECT = ScopeEffect("protect: /team/", "protect", "/team/", value=2.0, source="Never touch /team/", effect="kept",
                     notes=("mem_1#1",), operations=Change(("op_a",), ("op_b",), ("op_c",)),
                     questions=Change(("q_a",)), relaxed=("mem_1#1",), why="matches a note")
PLAN = Plan("offline", "0.2.0", Focus("Never touch /team/.", horizon_days=30), {"store_digest": "0" * 64, "notes": 1},
            [OPERATION], STORE, model="claude-x", usage={"input_tokens": 3}, notes=["a note"], timings={"plan": 0.5},
            input_store=STORE, questions=[QUESTION], questions_found=4, scope_effects=[EFFECT])
DECISION = Decision("op_given", "edit", "Tomás owns deploys.", who="dana", at="2026-03-02T10:00:00Z", note="checked")
GUARDRAIL = Guardrail(0.2, 0.3)
REVIEW = Review(PLAN, [DECISION], GUARDRAIL, ["a log line"])
RECORDS = {Target: TARGET, Result: RESULT, Evidence: EVIDENCE, Operation: OPERATION, Choice: CHOICE,
           Question: QUESTION, Plan: PLAN, Decision: DECISION, Guardrail: GUARDRAIL, Review: REVIEW, Memory: MEMORY,
           Store: STORE, ScopeEffect: EFFECT}


def serialized(record) -> dict:
    """The JSON a record is written as."""
    if isinstance(record, Plan):
        return json.loads(json.dumps(record.to_dict(timings=True)))
    if hasattr(record, "to_dict"):
        return json.loads(json.dumps(record.to_dict()))
    return dataclasses.asdict(record)


@pytest.mark.parametrize("cls", list(PAIRS), ids=lambda c: c.__name__)
def test_every_field_of_a_record_has_a_model_field_and_the_reverse(cls):
    model, renamed, unwritten, model_only = PAIRS[cls]
    fields = {renamed.get(f.name, f.name) for f in dataclasses.fields(cls) if f.name not in unwritten}
    names = set(model.model_fields)
    assert fields - names == set(), f"{cls.__name__} field(s) {fields - names} have no field in {model.__name__}"
    assert names - fields - model_only == set(), f"{model.__name__} field(s) {names - fields - model_only} " \
                                                 f"have no field in {cls.__name__}"


@pytest.mark.parametrize("cls", [*PAIRS, ScopeEffect], ids=lambda c: c.__name__)
def test_every_field_is_written_and_every_written_key_is_a_field(cls):
    model, renamed, unwritten, model_only = PAIRS.get(cls, (None, {}, set(), set()))
    record = RECORDS[cls]
    assert all(getattr(record, f.name) != _default(f) for f in dataclasses.fields(cls)
               if f.name not in unwritten and _default(f) is not dataclasses.MISSING), \
        f"set every field of the {cls.__name__} record in this test"
    written = set(serialized(record))
    fields = {renamed.get(f.name, f.name) for f in dataclasses.fields(cls) if f.name not in unwritten}
    assert written == fields | (model_only & written) and written - fields <= model_only


@pytest.mark.parametrize("cls", list(PAIRS), ids=lambda c: c.__name__)
def test_the_written_json_validates_and_the_model_keeps_every_value(cls):
    model = PAIRS[cls][0]
    data = serialized(RECORDS[cls])
    dumped = model.model_validate(data).model_dump(mode="json")
    assert set(data) <= set(dumped)
    assert _changed(data, dumped) == []


@pytest.mark.parametrize("cls", [c for c in PAIRS if c not in (Plan, Review, Store, Memory)], ids=lambda c: c.__name__)
def test_json_types_and_defaults_agree(cls):
    model, renamed, unwritten, _ = PAIRS[cls]
    ours = _types(TypeAdapter(cls).json_schema(mode="serialization"))
    theirs = _types(model.model_json_schema())
    assert {k: v for k, v in ours.items() if theirs.get(k) != v} == {}
    for field in dataclasses.fields(cls):
        default = _default(field)
        other = model.model_fields[renamed.get(field.name, field.name)]
        if default is not dataclasses.MISSING and not other.is_required():
            assert json.dumps(default) == json.dumps(other.get_default(call_default_factory=True)), field.name


def test_records_survive_their_json():
    assert Operation.from_dict(OPERATION.to_dict()) == OPERATION
    assert Memory.from_dict(MEMORY.to_dict()) == MEMORY and Memory.from_dict(MEMORY.to_dict()).meta == MEMORY.meta
    assert ScopeEffect.from_dict(EFFECT.to_dict()) == EFFECT
    again = Plan.from_dict(serialized(PLAN))
    assert again.to_dict(timings=True) == PLAN.to_dict(timings=True)
    assert again.output_store.versions == STORE.versions


def test_decisions_survive_their_file(tmp_path):
    plan = Plan.from_dict(serialized(PLAN))
    REVIEW.save(tmp_path / "decisions.json", keep_secrets=True)
    again = Review.load(plan, tmp_path / "decisions.json")
    assert (again.decisions, again.guardrail, again.log) == (REVIEW.decisions, REVIEW.guardrail, REVIEW.log)
    assert again.to_dict()["plan_digest"] == plan_digest(PLAN)


def _default(field: dataclasses.Field):
    if field.default is not dataclasses.MISSING:
        return field.default
    if field.default_factory is not dataclasses.MISSING:
        return field.default_factory()
    return dataclasses.MISSING


def _changed(data, dumped, at: str = "") -> list[str]:
    """Where the model's values differ from the written ones (keys a nested model ignores are skipped)."""
    if isinstance(data, dict) and isinstance(dumped, dict):
        return [c for k in data if k in dumped for c in _changed(data[k], dumped[k], f"{at}.{k}")]
    if isinstance(data, list) and isinstance(dumped, list) and len(data) == len(dumped):
        return [c for i, (a, b) in enumerate(zip(data, dumped)) for c in _changed(a, b, f"{at}[{i}]")]
    return [] if data == dumped else [at]


def _types(body: dict) -> dict[str, str]:
    def kind(node: dict) -> str:
        if "$ref" in node:
            return "object"
        if "anyOf" in node:
            kinds = sorted(kind(n) for n in node["anyOf"] if n.get("type") != "null")
            return kinds[0] if kinds else "null"
        if "enum" in node or "const" in node:
            return "string"
        return node.get("type", "any")

    return {name: kind(node) for name, node in body["properties"].items()}
