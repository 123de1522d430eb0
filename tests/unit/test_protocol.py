"""protocol.check_request: the agent's security check. Everything a worker does on request
passes through it, so each kind of bad request is refused with a message that says why."""

from __future__ import annotations

import pytest

from leaktui.protocol import (
    MAX_ANSWER,
    ProtocolError,
    check_request,
    decode,
    encode,
)


def test_a_plain_request_gets_its_defaults() -> None:
    assert check_request({"command": "growth"}) == {"command": "growth", "limit": 20, "depth": 20}


def test_an_allocs_request_gets_a_ten_second_window_or_a_task_cap() -> None:
    plain = check_request({"command": "allocs"})
    assert (plain["seconds"], plain["frames"], plain["keep"]) == (10.0, 1, False)
    assert "tasks" not in plain
    by_tasks = check_request({"command": "allocs", "tasks": 30})
    assert (by_tasks["tasks"], by_tasks["seconds"]) == (30, 300.0)


def test_unknown_keys_are_dropped_not_passed_on() -> None:
    checked = check_request({"command": "ping", "eval": "__import__('os')", "path": "/etc"})
    assert checked == {"command": "ping", "limit": 20, "depth": 20}


@pytest.mark.parametrize(
    ("request_", "says"),
    [
        ([], "a request is a JSON object"),
        ({"command": "exec"}, "unknown command 'exec'"),
        ({}, "unknown command None"),
        ({"command": "growth", "limit": 0}, "limit must be a whole number from 1 to 200"),
        ({"command": "growth", "limit": 201}, "limit must be a whole number from 1 to 200"),
        ({"command": "growth", "limit": True}, "limit must be a whole number"),
        ({"command": "growth", "limit": "5"}, "limit must be a whole number"),
        ({"command": "chain"}, "chain needs a type"),
        ({"command": "chain", "type": "os.system('x')"}, "type must be a type's name"),
        ({"command": "chain", "type": "__import__"}, None),  # a name, matched: allowed
        ({"command": "chain", "type": "a" * 201}, "type must be a type's name"),
        ({"command": "chain", "type": "dict", "depth": 21}, "depth must be a whole number"),
        ({"command": "allocs", "seconds": 0}, "seconds must be a number above 0"),
        ({"command": "allocs", "seconds": 601}, "at most 600"),
        ({"command": "allocs", "seconds": float("nan")}, "seconds must be a number"),
        ({"command": "allocs", "tasks": 0}, "tasks must be a whole number from 1"),
        ({"command": "allocs", "frames": 26}, "frames must be a whole number from 1 to 25"),
        ({"command": "allocs", "keep": "yes"}, "keep must be true or false"),
        ({"command": "result"}, "result needs the ticket"),
        ({"command": "result", "ticket": "../../etc/passwd"}, "result needs the ticket"),
    ],
)
def test_a_bad_request_is_refused_with_the_reason(request_: object, says: str | None) -> None:
    if says is None:
        check_request(request_)
        return
    with pytest.raises(ProtocolError, match=says.replace("(", r"\(").replace(")", r"\)")):
        check_request(request_)


def test_messages_are_one_line_of_json_and_bounded() -> None:
    line = encode({"ok": True, "text": "a\nb"})
    assert line.endswith(b"\n")
    assert line.count(b"\n") == 1
    assert decode(line, MAX_ANSWER) == {"ok": True, "text": "a\nb"}
    with pytest.raises(ProtocolError, match="longer than 10 bytes"):
        decode(b'{"x": "0123456789"}', 10)
    with pytest.raises(ProtocolError, match="not JSON"):
        decode(b"{nope", MAX_ANSWER)
    with pytest.raises(ProtocolError, match="a message is a JSON object"):
        decode(b"[1, 2]", MAX_ANSWER)
