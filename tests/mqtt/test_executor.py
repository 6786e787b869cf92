"""The keyed worker pool: order per key, no head-of-line blocking across keys, bounded backlog."""

from __future__ import annotations

import threading
from functools import partial

from queue_server.mqtt.executor import KeyedExecutor


def test_tasks_of_one_key_run_in_order_while_keys_run_in_parallel() -> None:
    pool = KeyedExecutor(4)
    seen: dict[str, list[int]] = {"a": [], "b": [], "c": []}
    for i in range(200):
        for key, order in seen.items():
            pool.submit(key, partial(order.append, i))
    pool.shutdown(wait=True)
    assert seen == {k: list(range(200)) for k in seen}


def test_a_blocked_key_does_not_block_another() -> None:
    pool = KeyedExecutor(2)
    release, other_ran = threading.Event(), threading.Event()
    pool.submit("slow-device", partial(release.wait, 10))
    pool.submit("slow-device", lambda: None)
    pool.submit("kiosk", other_ran.set)
    assert other_ran.wait(5)
    release.set()
    pool.shutdown(wait=True)


def test_backlog_per_key_is_bounded_and_a_failing_task_does_not_stop_the_key() -> None:
    pool = KeyedExecutor(1, max_pending_per_key=2)
    release = threading.Event()
    started = threading.Event()
    done: list[str] = []

    def blocker() -> None:
        started.set()
        release.wait(10)

    def boom() -> None:
        raise RuntimeError("a handler bug")

    assert pool.submit("k", blocker)
    assert started.wait(5)
    assert pool.submit("k", boom)
    assert pool.submit("k", lambda: done.append("after"))
    assert not pool.submit("k", lambda: done.append("dropped"))  # backlog full
    release.set()
    pool.shutdown(wait=True)
    assert done == ["after"]
    assert not pool.submit("k", lambda: None)  # closed


def test_long_backlog_yields_to_other_keys() -> None:
    pool = KeyedExecutor(1)
    order: list[str] = []
    gate, finished = threading.Event(), threading.Event()
    pool.submit("chatty", partial(gate.wait, 10))
    for i in range(40):
        pool.submit("chatty", partial(order.append, f"chatty-{i}"))
    pool.submit("chatty", finished.set)
    pool.submit("quiet", partial(order.append, "quiet"))
    gate.set()
    assert finished.wait(5)
    pool.shutdown(wait=True)
    # One thread: the quiet key still gets its turn before the chatty backlog is drained.
    assert order.index("quiet") < order.index("chatty-39")
    assert [o for o in order if o != "quiet"] == [f"chatty-{i}" for i in range(40)]
