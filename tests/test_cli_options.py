"""The command line mirrors the API: every `Focus` and `Guardrail` field is an option, read from the dataclass."""

from __future__ import annotations

import argparse
import dataclasses
import subprocess
import sys

import pytest
from builders import ROOT

from workbench.cli import COMMANDS, build_parser, main
from workbench.cli.options import default_of, flag_of, focus_of, guardrail_of
from workbench.dream.calibration import AUTO_BAR
from workbench.focus import Focus
from workbench.review import Guardrail

FOCUS_COMMANDS = ("focus", "dream", "fleet")


def parser_of(name: str) -> argparse.ArgumentParser:
    sub = next(a for a in build_parser()._actions if isinstance(a, argparse._SubParsersAction))
    return sub.choices[name]


def options_of(name: str) -> dict[str, argparse.Action]:
    return {s: a for a in parser_of(name)._actions for s in a.option_strings}


@pytest.mark.parametrize(("cls", "commands"), [(Focus, FOCUS_COMMANDS), (Guardrail, ("review",))])
def test_every_field_has_an_option_with_the_dataclass_default_and_its_help(cls, commands):
    for name in commands:
        options = options_of(name)
        missing = [f.name for f in dataclasses.fields(cls) if flag_of(f) not in options]
        assert not missing, f"`workbench {name}` has no option for {cls.__name__} field(s) {missing}"
        for field in dataclasses.fields(cls):
            action = options[flag_of(field)]
            assert action.dest == field.name and field.metadata["help"] in action.help
            default = default_of(field)
            if isinstance(default, (list, dict)):
                assert action.default is None  # not given: the dataclass's own default applies
            else:
                assert action.default == default, (name, field.name)


def test_no_options_give_the_default_focus_and_guardrail():
    assert focus_of(parser_of("dream").parse_args(["store.json"])) == Focus()
    assert guardrail_of(parser_of("review").parse_args(["plan.json"])) == Guardrail()


def _argv(focus: Focus) -> list[str]:
    """The options that describe `focus`, written from its fields alone."""
    argv = []
    for field in dataclasses.fields(Focus):
        value = getattr(focus, field.name)
        if value == default_of(field):
            continue
        flag = flag_of(field)
        if isinstance(value, bool):
            argv.append(flag if value else "--no-" + flag[2:])
        elif isinstance(value, dict):
            argv += [flag, *(f"{k}={v}" for k, v in value.items())]
        elif isinstance(value, list):
            argv += [flag, *map(str, value)]
        else:
            argv += [flag, str(value)]
    return argv


def test_a_focus_with_every_field_set_survives_the_command_line():
    focus = Focus("Never touch /team/.", include=["/projects/"], exclude=["lunch"], protect=["/people/"],
                  weights={"code style": 2.0, "a=b": 0.5}, duplicate_bar=0.8, conflict_bar=0.7, support_bar=0.6,
                  horizon_days=30, min_sessions=3, max_sessions=20, since="2025-01-01T00:00:00Z",
                  until="2025-06-01T00:00:00Z", session_ids=["s1", "s2"], kinds=["merge", "delete"],
                  prune_low_value=False, questions_per_note=0.25, compile_instructions=False,
                  removed_scopes=["exclude: lunch"], forget=["small talk"])
    assert all(getattr(focus, f.name) != default_of(f) for f in dataclasses.fields(Focus))
    for name in FOCUS_COMMANDS:
        positional = {"focus": [], "dream": ["store.json"], "fleet": ["manifest.jsonl"]}[name]
        args = parser_of(name).parse_args([*positional, *_argv(focus)])
        assert focus_of(args, getattr(args, "text", None)) == focus


def test_lists_repeat_and_take_several_values():
    args = parser_of("dream").parse_args(["s.json", "--include", "/a/", "/b/", "--include", "/c/", "--kinds", "merge"])
    assert focus_of(args).include == ["/a/", "/b/", "/c/"] and focus_of(args).kinds == ["merge"]


def test_the_automatic_bar_defaults_to_the_rules_bar():
    assert options_of("review")["--min-confidence"].default == AUTO_BAR


@pytest.mark.parametrize("argv", [["dream", "s.json", "--weights", "lunch"], ["dream", "s.json", "--horizon-days", "x"],
                                  ["review", "p.json", "--max-deleted", "most"], ["nope"]])
def test_a_mistyped_option_is_one_line_and_exit_2(capsys, argv):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.startswith("workbench: error: ") and err.count("\n") == 1 and "--help" in err


def test_the_instructions_are_given_once(tmp_path, capsys):
    (tmp_path / "focus.txt").write_text("Never touch /team/.", encoding="utf-8")
    assert main(["focus", "Ignore lunch.", "--focus-file", str(tmp_path / "focus.txt")]) == 2
    assert "give the instructions once" in capsys.readouterr().err
    assert main(["focus", "--focus-file", str(tmp_path / "focus.txt"), "--json"]) == 0
    assert '"protect: /team/"' in capsys.readouterr().out


@pytest.mark.parametrize("name", list(COMMANDS))
def test_each_docstring_ends_in_an_example_that_help_shows(name):
    doc = COMMANDS[name].__doc__
    example = doc[doc.rindex("Example:"):]
    assert example.splitlines()[1].strip().startswith(f"workbench {name}")
    shown = parser_of(name).format_help()
    assert example.splitlines()[1] in shown


def test_only_the_chosen_command_builds_its_options():
    code = ("import sys; from workbench.cli import main; main(['inspect', 'sample-data/coding-assistant/store.json',"
            " '--json']); print(sorted(m for m in ('workbench.dream.rules', 'pandas') if m in sys.modules))")
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    assert out.splitlines()[-1] == "[]"
