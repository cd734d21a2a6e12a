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
