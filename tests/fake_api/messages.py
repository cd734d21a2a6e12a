"""/v1/messages and /v1/messages/count_tokens: validation, token billing with prompt caching,
streaming, and the responders that stand in for the model."""

from __future__ import annotations

import copy
import hashlib
import itertools
import json
import re
from dataclasses import dataclass, replace
from typing import Any

from .common import (
    Raw,
    RecordedRequest,
    canonical,
    estimate_tokens,
    invalid,
    json_body,
    misuse,
    route,
)

MAX_CACHE_BREAKPOINTS = 4


@dataclass
class _Unit:
    """One billable piece of a prompt (a tool, a system block or a message block)."""

    key: str
    tokens: int
    cache_control: dict | None


def default_messages_responder(request: dict) -> dict:
    """A short deterministic text answer, or a tool_use when tool_choice forces a tool."""
    tool = _forced_tool(request)
    if tool is not None:
        example = _example_input(tool.get("input_schema") or {})
        return {"content": [{"type": "tool_use", "name": tool["name"], "input": example}]}
    return {
        "content": [{"type": "text", "text": f"Fake answer to: {_last_user_text(request)[:60]}"}]
    }


def _forced_tool(request: dict) -> dict | None:
    choice = request.get("tool_choice") or {}
    tools = request.get("tools") or []
    if choice.get("type") == "tool":
        return next(t for t in tools if t.get("name") == choice.get("name"))
    if choice.get("type") == "any" and tools:
        return tools[0]
    return None


def _example_input(schema: dict) -> dict:
    placeholders = {
        "string": "example",
        "integer": 0,
        "number": 0,
        "boolean": False,
        "array": [],
        "object": {},
    }
    properties = schema.get("properties") or {}
    return {
        name: placeholders.get((properties.get(name) or {}).get("type"), None)
        for name in schema.get("required") or []
    }


def _last_user_text(request: dict) -> str:
    for message in reversed(request.get("messages") or []):
        content = message.get("content")
        if message.get("role") != "user":
            continue
        if isinstance(content, str):
            return content
        texts = [b.get("text", "") for b in content if b.get("type") == "text"]
        if texts:
            return texts[-1]
    return ""

_QA_WORD = re.compile(r"[a-z0-9]+")
_QA_STOP = frozenset("a an the of to in on at for with is are was were do does did what which who whom when where "
                     "why how by and or from as be it its that this".split())


def _qa_words(text: str) -> set:
    return {w for w in _QA_WORD.findall(text.lower()) if w not in _QA_STOP}


def memory_qa_responder(request: dict) -> dict:
    """A deterministic stand-in for answering from memories and judging answers (the LoCoMo J protocol).

    Answering (``Memories:`` lines ``- …`` then ``Question: …``): the memory sharing the most words
    with the question, or ``I don't know.`` when none shares one. Judging (a forced tool with a
    ``label`` property; ``Gold answer: …`` and ``Generated answer: …`` lines): ``CORRECT`` when every
    word of one gold alternative (split on ``|``) is in the generated answer, else ``WRONG``.
    """
    tool = _forced_tool(request)
    text = _last_user_text(request)
    if tool is not None and "label" in ((tool.get("input_schema") or {}).get("properties") or {}):
        fields = dict(line.split(": ", 1) for line in text.splitlines() if ": " in line)
        said = _qa_words(fields.get("Generated answer", ""))
        gold = [_qa_words(g) for g in fields.get("Gold answer", "").split("|")]
        label = "CORRECT" if any(g and g <= said for g in gold) else "WRONG"
        return {"content": [{"type": "tool_use", "name": tool["name"],
                             "input": {"reasoning": "word overlap with the gold answer", "label": label}}]}
    memories = [line[2:] for line in text.splitlines() if line.startswith("- ")]
    question = _qa_words(next((line[10:] for line in text.splitlines() if line.startswith("Question: ")), ""))
    scored = sorted(((len(question & _qa_words(m)), -i, m) for i, m in enumerate(memories)), reverse=True)
    answer = scored[0][2] if scored and scored[0][0] else "I don't know."
    return {"content": [{"type": "text", "text": answer}]}


def validate_messages_request(body: dict, *, needs_max_tokens: bool) -> None:
    model = body.get("model")
    if not isinstance(model, str) or not model:
        raise invalid(
            "model: Field required"
            if "model" not in body
            else "model: Input should be a non-empty string"
        )
    if needs_max_tokens:
        if "max_tokens" not in body:
            raise invalid("max_tokens: Field required")
        max_tokens = body["max_tokens"]
        if not isinstance(max_tokens, int) or isinstance(max_tokens, bool) or max_tokens < 1:
            raise invalid("max_tokens: Input should be an integer greater than or equal to 1")
    if "messages" not in body:
        raise invalid("messages: Field required")
    messages = body["messages"]
    if not isinstance(messages, list) or not messages:
        raise invalid("messages: at least one message is required")
    for index, message in enumerate(messages):
        _validate_message(index, message)
    _validate_tool_pairing(messages)
    _validate_system(body.get("system"))
    names = _validate_tools(body.get("tools"))
    _validate_tool_choice(body.get("tool_choice"), names)


def _validate_message(index: int, message: Any) -> None:
    if not isinstance(message, dict) or message.get("role") not in ("user", "assistant"):
        raise invalid(f"messages.{index}.role: Input should be 'user' or 'assistant'")
    content = message.get("content")
    if isinstance(content, str):
        return
    if not isinstance(content, list) or not all(
        isinstance(b, dict) and b.get("type") for b in content
    ):
        raise invalid(
            f"messages.{index}.content: Input should be a string or a list of content blocks"
        )


def _blocks(message: dict) -> list:
    content = message["content"]
    return [{"type": "text", "text": content}] if isinstance(content, str) else content


def _validate_tool_pairing(messages: list) -> None:
    """Each tool_result must answer a tool_use of the previous (assistant) message, and vice versa."""
    for index, message in enumerate(messages):
        result_ids = [b.get("tool_use_id") for b in _blocks(message) if b["type"] == "tool_result"]
        previous = messages[index - 1] if index else None
        offered = (
            {b.get("id") for b in _blocks(previous) if b["type"] == "tool_use"}
            if previous
            else set()
        )
        stray = [i for i in result_ids if i not in offered or previous["role"] != "assistant"]
        if stray:
            raise invalid(
                f"messages.{index}.content: unexpected `tool_use_id` found in `tool_result` blocks: "
                f"{', '.join(map(str, stray))}. Each `tool_result` block must have a corresponding "
                "`tool_use` block in the previous message."
            )
        following = messages[index + 1] if index + 1 < len(messages) else None
        if message["role"] == "assistant" and following is not None:
            answered = {
                b.get("tool_use_id") for b in _blocks(following) if b["type"] == "tool_result"
            }
            missing = [
                b.get("id")
                for b in _blocks(message)
                if b["type"] == "tool_use" and b.get("id") not in answered
            ]
            if missing:
                raise invalid(
                    f"messages.{index + 1}: `tool_use` ids were found without `tool_result` blocks "
                    f"immediately after: {', '.join(map(str, missing))}."
                )


def _validate_system(system: Any) -> None:
    if system is None or isinstance(system, str):
        return
    if not isinstance(system, list) or not all(
        isinstance(b, dict) and b.get("type") == "text" and isinstance(b.get("text"), str)
        for b in system
    ):
        raise invalid("system: Input should be a string or a list of text blocks")


def _validate_tools(tools: Any) -> list:
    if tools is None:
        return []
    if not isinstance(tools, list):
        raise invalid("tools: Input should be a list")
    names = []
    for index, tool in enumerate(tools):
        if not isinstance(tool, dict) or not isinstance(tool.get("name"), str) or not tool["name"]:
            raise invalid(f"tools.{index}.name: Field required")
        if tool.get("type") in (None, "custom") and not isinstance(tool.get("input_schema"), dict):
            raise invalid(f"tools.{index}.custom.input_schema: Field required")
        if tool["name"] in names:
            raise invalid(f"tools: Tool names must be unique (duplicate {tool['name']!r})")
        names.append(tool["name"])
    return names


def _validate_tool_choice(choice: Any, names: list) -> None:
    if choice is None:
        return
    kind = choice.get("type") if isinstance(choice, dict) else None
    if kind not in ("auto", "any", "tool", "none"):
        raise invalid("tool_choice.type: Input should be 'auto', 'any', 'tool' or 'none'")
    if kind in ("any", "tool") and not names:
        raise invalid(f"tool_choice: `{kind}` requires `tools` to be provided")
    if kind == "tool" and choice.get("name") not in names:
        raise invalid(f"tool_choice.name: Tool {choice.get('name')!r} not found in `tools`")


def prompt_units(body: dict) -> list:
    """The billable units of a prompt in cache order: tools, system, then message blocks."""
    system = body.get("system") or []
    if isinstance(system, str):
        system = [{"type": "text", "text": system}]
    units = [_unit(tool, "tool") for tool in body.get("tools") or []]
    units += [_unit(block, "system") for block in system]
    for index, message in enumerate(body["messages"]):
        units += [_unit(block, f"{index}:{message['role']}") for block in _blocks(message)]
    if body.get("cache_control") and units and units[-1].cache_control is None:
        units[-1] = replace(units[-1], cache_control=body["cache_control"])
    return units


def _unit(block: dict, place: str) -> _Unit:
    bare = {k: v for k, v in block.items() if k != "cache_control"}
    is_text = bare.get("type") == "text" and isinstance(bare.get("text"), str)
    billed = bare["text"] if is_text else canonical(bare)
    return _Unit(
        key=f"{place}|{canonical(bare)}",
        tokens=estimate_tokens(billed),
        cache_control=block.get("cache_control"),
    )


def _prefix_keys(model: str, units: list) -> list:
    digest = hashlib.sha256(model.encode("utf-8"))
    keys = []
    for unit in units:
        digest.update(b"\x00" + unit.key.encode("utf-8"))
        keys.append(digest.hexdigest())
    return keys


def _output_tokens(content: list) -> int:
    total = 0
    for block in content:
        if block.get("type") == "text":
            total += estimate_tokens(block.get("text") or "")
        elif block.get("type") == "tool_use":
            total += estimate_tokens(canonical({"input": block["input"], "name": block["name"]}))
        else:
            total += estimate_tokens(canonical(block))
    return total


def _sse(message: dict) -> Raw:
    """The streaming (SSE) rendition of a finished message."""
    usage = message["usage"]
    start = dict(
        message,
        content=[],
        stop_reason=None,
        stop_sequence=None,
        usage=dict(usage, output_tokens=0),
    )
    events = [("message_start", {"type": "message_start", "message": start})]
    for index, block in enumerate(message["content"]):
        head, delta = block, None
        if block["type"] == "text":
            head, delta = dict(block, text=""), {"type": "text_delta", "text": block["text"]}
        elif block["type"] == "tool_use":
            head, delta = (
                dict(block, input={}),
                {"type": "input_json_delta", "partial_json": json.dumps(block["input"])},
            )
        events.append(
            (
                "content_block_start",
                {"type": "content_block_start", "index": index, "content_block": head},
            )
        )
        if delta is not None:
            events.append(
                (
                    "content_block_delta",
                    {"type": "content_block_delta", "index": index, "delta": delta},
                )
            )
        events.append(("content_block_stop", {"type": "content_block_stop", "index": index}))
    final_usage = {
        k: usage[k]
        for k in (
            "input_tokens",
            "output_tokens",
            "cache_creation_input_tokens",
            "cache_read_input_tokens",
        )
    }
    delta = {"stop_reason": message["stop_reason"], "stop_sequence": message["stop_sequence"]}
    events.append(
        ("message_delta", {"type": "message_delta", "delta": delta, "usage": final_usage})
    )
    events.append(("message_stop", {"type": "message_stop"}))
    text = "".join(f"event: {name}\ndata: {json.dumps(data)}\n\n" for name, data in events)
    return Raw(text.encode("utf-8"), "text/event-stream")


ROUTES = (
    route("POST", r"/v1/messages", "_messages_create", locked=False),
    route("POST", r"/v1/messages/count_tokens", "_messages_count_tokens", locked=False),
)


class MessagesApi:
    """/v1/messages and /v1/messages/count_tokens."""

    def _messages_create(self, request: RecordedRequest) -> Any:
        body = json_body(request)
        validate_messages_request(body, needs_max_tokens=True)
        usage = self._bill_prompt(body["model"], prompt_units(body))
        reply = self.messages_responder(copy.deepcopy(body))
        message = self._build_message(body, reply, usage)
        with self._lock:
            for key in self._usage_total:
                self._usage_total[key] += message["usage"].get(key) or 0
        return _sse(message) if body.get("stream") else message

    def _messages_count_tokens(self, request: RecordedRequest) -> dict:
        body = json_body(request)
        validate_messages_request(body, needs_max_tokens=False)
        return {"input_tokens": sum(unit.tokens for unit in prompt_units(body))}

    def _bill_prompt(self, model: str, units: list) -> dict:
        marked = [i for i, unit in enumerate(units) if unit.cache_control]
        if len(marked) > MAX_CACHE_BREAKPOINTS:
            raise invalid(
                f"A maximum of {MAX_CACHE_BREAKPOINTS} blocks with cache_control may be provided. Found {len(marked)}."
            )
        cumulative = list(itertools.accumulate(unit.tokens for unit in units))
        keys = _prefix_keys(model, units)
        breakpoints = [i for i in marked if cumulative[i] >= self.cache_min_tokens]
        created = {"5m": 0, "1h": 0}
        with self._lock:
            read_end = max((i for i in breakpoints if keys[i] in self._cache), default=-1)
            start = read_end + 1
            for index in (i for i in breakpoints if i > read_end):
                ttl = "1h" if units[index].cache_control.get("ttl") == "1h" else "5m"
                created[ttl] += sum(unit.tokens for unit in units[start : index + 1])
                start = index + 1
                self._cache.add(keys[index])
        read = cumulative[read_end] if read_end >= 0 else 0
        creation = created["5m"] + created["1h"]
        return {
            "input_tokens": (cumulative[-1] if units else 0) - read - creation,
            "output_tokens": 0,
            "cache_creation_input_tokens": creation,
            "cache_read_input_tokens": read,
            "cache_creation": {
                "ephemeral_5m_input_tokens": created["5m"],
                "ephemeral_1h_input_tokens": created["1h"],
            },
            "service_tier": "standard",
        }

    def _build_message(self, body: dict, reply: Any, usage: dict) -> dict:
        if not isinstance(reply, dict) or not isinstance(reply.get("content"), list):
            raise misuse("messages_responder must return a dict with a 'content' list")
        content = [self._response_block(block, body) for block in reply["content"]]
        uses_tool = any(block["type"] == "tool_use" for block in content)
        message = {
            "id": self._new_id("msg"),
            "type": "message",
            "role": "assistant",
            "model": body["model"],
            "content": content,
            "stop_reason": "tool_use" if uses_tool else "end_turn",
            "stop_sequence": None,
            "stop_details": None,
            "container": None,
        }
        message.update({k: v for k, v in reply.items() if k not in ("content", "usage")})
        message["usage"] = {
            **usage,
            "output_tokens": _output_tokens(content),
            **(reply.get("usage") or {}),
        }
        return message

    def _response_block(self, block: Any, body: dict) -> dict:
        block = {"type": "text", "text": block} if isinstance(block, str) else dict(block)
        if block.get("type") == "text":
            block.setdefault("citations", None)
        elif block.get("type") == "tool_use":
            if not isinstance(block.get("name"), str) or not isinstance(block.get("input"), dict):
                raise misuse("a tool_use block needs 'name' (str) and 'input' (dict)")
            self._check_tool_offered(block["name"], body)
            block.setdefault("id", self._new_id("toolu"))
        return block

    @staticmethod
    def _check_tool_offered(name: str, body: dict) -> None:
        offered = [tool.get("name") for tool in body.get("tools") or []]
        if name not in offered:
            raise misuse(f"responder used tool {name!r} but the request offers {offered}")
        if (body.get("tool_choice") or {}).get("type") == "none":
            raise misuse("responder used a tool although tool_choice is 'none'")
