"""The README keeps up with the code: every command and every reader is documented."""

from builders import ROOT

from workbench.cli import COMMANDS
from workbench.io import readers

README = (ROOT / "README.md").read_text(encoding="utf-8")

FORMAT_WORDS = {
    "directory": "directory of files", "managed-agents-store": "Managed Agents store JSON",
    "memories-jsonl": "JSON Lines of memories", "mem0": "mem0", "csv": "CSV", "parquet": "Parquet",
    "managed-agents-session": "Managed Agents session", "anthropic-messages": "Anthropic\nMessages",
    "openai-chat-jsonl": "OpenAI chat JSONL", "claude-code-jsonl": "Claude Code session JSONL",
    "letta-agent": "Letta", "locomo": "LoCoMo", "claude-memory": "Claude Code auto-memory folders",
    "claude-md": "CLAUDE.md files",
}


def test_every_cli_command_appears_in_the_readme():
    missing = [name for name in COMMANDS if f"workbench {name}" not in README]
    assert not missing, f"document these commands in README.md: {missing}"


def test_every_cli_command_has_an_example_in_its_help():
    assert all("Example:" in (fn.__doc__ or "") for fn in COMMANDS.values())


def test_every_registered_reader_is_described_in_the_readme():
    flat = " ".join(README.split())
    for name in readers():
        words = " ".join(FORMAT_WORDS[name].split())
        assert words in flat, f"README.md does not describe the {name!r} reader"


def _command_line_section() -> str:
    start = README.index("## The command line mirrors the Python API")
    return README[start:README.index("\n## ", start + 1)]


def test_the_readme_lists_every_generated_option_with_its_default():
    import dataclasses

    from workbench.cli.options import default_of, flag_of
    from workbench.focus import Focus
    from workbench.review import Guardrail

    section = _command_line_section()
    rows = section.splitlines()
    for cls in (Focus, Guardrail):
        for field in dataclasses.fields(cls):
            flag, default = flag_of(field), default_of(field)
            shown = f"--no-{flag[2:]}" if default is True else flag
            assert f"`{shown}" in section, f"README.md's command-line section does not list {shown}"
            row = next((r for r in rows if f"`{shown}" in r and r.startswith("|")), None)
            if row is None:  # the guardrail's options are in the text, with their defaults
                assert f"`{flag} {default:g}`" in section, f"README.md gives {flag} another default"
            elif isinstance(default, (int, float)) and not isinstance(default, bool):
                assert f"{default:g}" in row, f"README.md gives {flag} another default than {default}"
            elif isinstance(default, list) and default:
                assert " ".join(default) in row, f"README.md gives {flag} another default than {default}"
