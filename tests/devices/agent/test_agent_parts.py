"""The agent's pure parts and its files: keys, what the sign shows, when the pad asks, the outbox, config."""

from __future__ import annotations

import argparse
import io
import threading
from pathlib import Path

import pytest

from devices.agent import SimulatedWindow, load_config
from devices.agent.cli import build_config
from devices.agent.display import failure_line, pending_line, sign_display, state_line
from devices.agent.keys import KeyMap, UnknownCodeError
from devices.agent.outbox import EntryKind, Outbox
from devices.agent.simulate import console
from devices.agent.visits import NOTHING, PadAction, VisitTracker, pad_visit_id
from devices.keypad import Key, KeyPress
from devices.ratingpad.protocol import VISIT_ID
from devices.sign import SignStatus
from queue_server.protocol.messages import ErrorCode, Op, Response, WindowState, WindowStatus

# --- keys --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("press", "op", "args"),
    [
        (KeyPress(Key.NEXT), Op.WINDOW_NEXT, {}),
        (KeyPress(Key.RECALL), Op.WINDOW_RECALL, {}),
        (KeyPress(Key.START), Op.WINDOW_START, {}),
        (KeyPress(Key.FINISH), Op.WINDOW_FINISH, {}),
        (KeyPress(Key.FINISH, 2), Op.WINDOW_FINISH, {"outcome": "promised"}),
        (KeyPress(Key.NO_SHOW), Op.WINDOW_NO_SHOW, {}),
        (KeyPress(Key.PAUSE), Op.WINDOW_PAUSE, {"reason": "临时离开"}),
        (KeyPress(Key.PAUSE, 3), Op.WINDOW_PAUSE, {"reason": "系统故障"}),
        (KeyPress(Key.RESUME), Op.WINDOW_RESUME, {}),
        (KeyPress(Key.NEXT, 4), Op.WINDOW_NEXT, {}),  # a stray digit before next changes nothing
    ],
)
def test_each_key_asks_for_its_window_op(press: KeyPress, op: Op, args: dict[str, str]) -> None:
    action = KeyMap().action(press)
    assert (action.op, action.args) == (op, args)


def test_pause_reasons_come_from_the_window_config() -> None:
    keys = KeyMap(pause_reason="窗口培训", pause_reasons={7: "午间休息"})
    assert keys.action(KeyPress(Key.PAUSE)).args == {"reason": "窗口培训"}
    assert keys.action(KeyPress(Key.PAUSE, 7)).args == {"reason": "午间休息"}
    with pytest.raises(UnknownCodeError) as err:
        keys.action(KeyPress(Key.PAUSE, 1))
    assert err.value.message == "未知暂停原因1"
    with pytest.raises(UnknownCodeError, match="FINISH code 9"):
        KeyMap().action(KeyPress(Key.FINISH, 9))


# --- display -------------------------------------------------------------------------------------


def _state(
    status: WindowStatus, ticket: str | None = None, reason: str | None = None, ts: float = 1.0
) -> WindowState:
    return WindowState(
        window="5",
        name="5号窗口",
        status=status,
        ticket=ticket,
        ticket_id=None if ticket is None else f"id-{ticket}",
        pause_reason=reason,
        ts=ts,
    )


@pytest.mark.parametrize(
    ("state", "sign", "keypad"),
    [
        (_state(WindowStatus.IDLE), "5号窗口 欢迎您", "空闲 请按叫号"),
        (_state(WindowStatus.CALLING, "A012"), "请A012号到5号窗口办理", "呼叫中 A012"),
        (_state(WindowStatus.SERVING, "A012"), "5号窗口 正在办理A012号", "办理中 A012"),
        (_state(WindowStatus.PAUSED, reason="临时离开"), "5号窗口 暂停服务：临时离开", "暂停 临时离开"),
        (_state(WindowStatus.CLOSED), "5号窗口 已停止服务", "窗口已关闭"),
    ],
)
def test_window_states_on_the_sign_and_the_keypad(state: WindowState, sign: str, keypad: str) -> None:
    assert sign_display(state).text() == sign
    assert state_line(state) == keypad


def test_text_the_sign_font_lacks_is_left_out_not_an_error() -> None:
    # 㐀 is outside GB2312 (a rare character in a typed reason); the separator would break the frame.
    shown = sign_display(_state(WindowStatus.PAUSED, reason="培训\x1f㐀中"))
    assert (shown.status, shown.reason) == (SignStatus.PAUSED, "培训中")
    assert sign_display(_state(WindowStatus.PAUSED, reason="㐀"), "gb18030").reason == "㐀"
    assert sign_display(_state(WindowStatus.PAUSED, reason="㐀")).reason is None


def test_keypad_feedback_lines() -> None:
    refusal = Response.failure("r1", ErrorCode.QUEUE_EMPTY)
    assert failure_line("叫号", refusal) == "叫号失败 当前没有等候的号码。"
    assert pending_line("叫号", online=True) == "叫号…"
    assert pending_line("叫号", online=False) == "离线已存 叫号"


# --- visits --------------------------------------------------------------------------------------


def test_a_visit_is_prompted_once_whichever_signal_comes_first() -> None:
    tracker = VisitTracker()
    assert tracker.on_state(_state(WindowStatus.CALLING, "A1")) == NOTHING
    assert tracker.on_state(_state(WindowStatus.SERVING, "A1")) == NOTHING
    assert tracker.on_finished("id-A1") == PadAction(prompt="id-A1")
    assert tracker.on_state(_state(WindowStatus.IDLE)) == NOTHING  # the retained state follows the reply
    assert tracker.on_state(_state(WindowStatus.IDLE)) == NOTHING  # and comes again after a reconnect

    assert tracker.on_state(_state(WindowStatus.SERVING, "A2")) == PadAction(cancel=True)
    assert tracker.on_state(_state(WindowStatus.IDLE)) == PadAction(prompt="id-A2")  # finished elsewhere
    assert tracker.on_finished("id-A2") == NOTHING


def test_a_visit_that_was_only_called_is_not_rated() -> None:
    tracker = VisitTracker()
    tracker.on_state(_state(WindowStatus.CALLING, "A1"))
    assert tracker.on_state(_state(WindowStatus.IDLE)) == NOTHING  # no-show
    tracker.on_state(_state(WindowStatus.SERVING, "A2"))
    # A state that skipped the idle in between (coalesced retained states) still ends A2's visit.
    assert tracker.on_state(_state(WindowStatus.CALLING, "A3")) == PadAction(prompt="id-A2")


def test_a_restored_prompt_is_not_asked_again() -> None:
    tracker = VisitTracker()
    assert tracker.restore("id-A1") == PadAction(prompt="id-A1")
    assert tracker.on_finished("id-A1") == NOTHING
    tracker.on_rated("id-A1")
    assert tracker.open_prompt is None


def test_pad_visit_ids_fit_the_pad_protocol() -> None:
    token = "Qm9vX2Zvb19iYXJfYmF6"  # what the server uses: 22 url-safe characters
    assert pad_visit_id(token) == token
    odd = "ticket/2025-03-12/A012 with spaces and more than thirty-two characters"
    assert VISIT_ID.fullmatch(pad_visit_id(odd))
    assert pad_visit_id(odd) == pad_visit_id(odd) != pad_visit_id(odd + "x")


# --- outbox --------------------------------------------------------------------------------------


def test_the_outbox_keeps_order_and_survives_a_reopen(tmp_path: Path) -> None:
    path = tmp_path / "outbox.sqlite3"
    box = Outbox(path)
    box.add(EntryKind.REQUEST, "r1", "window.next", {}, 10.0)
    box.add(EntryKind.EVENT, "e1", "rating", {"id": "e1", "score": 5, "visit": "v1"}, 11.0)
    box.add(EntryKind.REQUEST, "r2", "window.pause", {"reason": "临时离开"}, 12.0)
    box.attempted("r1")
    box.remember("rating_prompt", "v2")
    box.close()

    box = Outbox(path)
    assert [(e.id, e.kind, e.name) for e in box.entries()] == [
        ("r1", EntryKind.REQUEST, "window.next"),
        ("e1", EntryKind.EVENT, "rating"),
        ("r2", EntryKind.REQUEST, "window.pause"),
    ]
    first = box.first()
    assert first is not None and (first.id, first.attempts, first.created_at) == ("r1", 1, 10.0)
    assert box.entries()[2].body == {"reason": "临时离开"}
    assert box.recall("rating_prompt") == "v2"
    assert box.done("r1") and not box.done("r1")
    assert len(box) == 2
    box.remember("rating_prompt", None)
    assert box.recall("rating_prompt") is None
    box.close()


def test_the_outbox_refuses_a_second_entry_with_the_same_id(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "o.sqlite3")
    box.add(EntryKind.REQUEST, "r1", "window.next", {}, 1.0)
    with pytest.raises(Exception, match="UNIQUE"):
        box.add(EntryKind.REQUEST, "r1", "window.next", {}, 2.0)
    box.close()


def test_the_outbox_takes_writes_from_several_threads(tmp_path: Path) -> None:
    box = Outbox(tmp_path / "o.sqlite3")

    def write(prefix: str) -> None:
        for n in range(50):
            box.add(EntryKind.REQUEST, f"{prefix}-{n}", "window.next", {}, float(n))

    threads = [threading.Thread(target=write, args=(p,)) for p in "abc"]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(box) == 150
    box.close()


# --- config --------------------------------------------------------------------------------------

PROVISIONED = """\
# hallq device demo-win-5-agent (window_agent) of hall 'demo', by `hallq provision`.
[device]
hall = "demo"
hall_name = "示范市民大厅"
id = "demo-win-5-agent"
kind = "window_agent"
name = "5号窗口"
window = "5"

[broker]
host = "10.0.0.2"
port = 1883
username = "demo-win-5-agent"
password = "s3cret"
tls = false
"""

PORTS = """
[keypad]
path = "/dev/serial/by-id/keypad"

[rating_pad]
path = "/dev/serial/by-id/pad"
baudrate = 19200

[sign]
address = 3
encoding = "gb18030"
[sign.port]
path = "/dev/serial/by-id/sign"

[agent]
pause_reason = "暂离"
pause_reasons = { 1 = "暂离", 2 = "会议" }
"""


def test_the_provisioned_file_plus_ports_is_the_agent_config(tmp_path: Path) -> None:
    path = tmp_path / "device.toml"
    path.write_text(PROVISIONED + PORTS, encoding="utf-8")
    config = load_config(path)
    assert (config.device.hall, config.device.id, config.device.window) == ("demo", "demo-win-5-agent", "5")
    address = config.broker.address
    assert (address.host, address.username, address.password) == ("10.0.0.2", "demo-win-5-agent", "s3cret")
    assert config.rating_pad is not None and config.rating_pad.baudrate == 19200
    assert config.sign is not None and (config.sign.address, config.sign.encoding) == (3, "gb18030")
    assert config.agent.key_map().action(KeyPress(Key.PAUSE, 2)).args == {"reason": "会议"}


def test_a_bad_config_stops_the_agent_with_the_reason(tmp_path: Path) -> None:
    path = tmp_path / "device.toml"
    path.write_text(PROVISIONED + '[keypad]\npath = "/dev/x"\nbaud = 9600\n', encoding="utf-8")
    with pytest.raises(ValueError, match="baud"):
        load_config(path)  # a misspelt key in the agent's own tables is an error
    path.write_text(PROVISIONED.replace('window = "5"', 'window = "5/6"'), encoding="utf-8")
    with pytest.raises(ValueError, match="window"):
        load_config(path)
    path.write_text(
        PROVISIONED.replace("tls = false", 'tls = true\ncafile = "missing-ca.crt"'), encoding="utf-8"
    )
    with pytest.raises(FileNotFoundError):
        load_config(path)  # TLS files it cannot read stop it at start, not at its first connect


def test_the_nodes_of_a_clustered_broker_from_the_file_or_the_command_line(tmp_path: Path) -> None:
    path = tmp_path / "device.toml"
    cluster = 'password = "s3cret"\nalternates = ["10.0.0.3:1884", "10.0.0.4"]'
    path.write_text(PROVISIONED.replace('password = "s3cret"', cluster) + PORTS, encoding="utf-8")
    nodes = (("10.0.0.2", 1883), ("10.0.0.3", 1884), ("10.0.0.4", 1883))
    assert load_config(path).broker.address.endpoints == nodes
    args = argparse.Namespace(
        config=path, hall=None, device_id=None, window=None, data_dir=None,
        broker="mqtt://u:p@127.0.0.1:1884,mqtt://127.0.0.1:1885",
    )  # fmt: skip
    address = build_config(args).broker.address
    assert address.endpoints == (("127.0.0.1", 1884), ("127.0.0.1", 1885))
    assert (address.username, address.password) == ("u", "p")
    path.write_text(
        PROVISIONED.replace('password = "s3cret"', cluster.replace("1884", "x")), encoding="utf-8"
    )
    with pytest.raises(ValueError, match="alternates"):
        load_config(path)


def test_command_line_options_override_the_file(tmp_path: Path) -> None:
    path = tmp_path / "device.toml"
    path.write_text(PROVISIONED + PORTS, encoding="utf-8")
    args = argparse.Namespace(
        config=path,
        hall=None,
        device_id=None,
        window="6",
        broker="mqtt://u:p@127.0.0.1:1884",
        data_dir=tmp_path / "data",
    )
    config = build_config(args)
    assert config.device.window == "6" and config.device.hall == "demo"
    assert (config.broker.port, config.broker.username, config.broker.password) == (1884, "u", "p")
    assert config.data_dir() == tmp_path / "data"
    assert config.keypad is not None and config.keypad.path == "/dev/serial/by-id/keypad"

    args.broker = "mqtt://10.0.0.3:1999"  # another node, no account in the URL: the file's account
    moved = build_config(args).broker
    assert (moved.host, moved.port, moved.username, moved.password) == (
        "10.0.0.3", 1999, "demo-win-5-agent", "s3cret"
    )  # fmt: skip

    bare = build_config(
        argparse.Namespace(config=None, hall=None, device_id=None, window=None, broker=None, data_dir=None)
    )
    assert (bare.device.hall, bare.device.id, bare.device.window) == ("demo", "agent-1", "1")


def test_the_console_presses_the_simulated_keys(tmp_path: Path) -> None:
    with SimulatedWindow(tmp_path / "dev") as window:
        stop = threading.Event()
        console(window, stop, io.StringIO("unplug keypad\nn\nplug keypad\n?\nbogus\nq\n"))
        assert stop.is_set()
        assert window.command("p2") == "key pause"
        assert window.command("5") == "pad 5"
        assert window.command("f1") == "key finish"
        assert window.command("unplug sign") == "sign unplugged" and not window.sign.plugged
        assert window.command("n") == "key next"
        assert (window.command("zz") or "").startswith("unknown command")
        assert window.command("q") is None
