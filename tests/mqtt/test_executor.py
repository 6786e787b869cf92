"""The keyed worker pool: order per key, no head-of-line blocking across keys, bounded backlog."""

from __future__ import annotations

import threading
from functools import partial

from harness.waiting import eventually, scaled
from queue_server.mqtt.executor import KeyedExecutor
from tests.threads import parked_in


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
    assert other_ran.wait(scaled(5))
    release.set()
    pool.shutdown(wait=True)


def test_backlog_per_key_is_bounded_and_a_failing_task_does_not_stop_the_key() -> None:
    pool = KeyedExecutor(1, max_pending_per_key=2)
    release = threading.Event()
    started = threading.Event()
    done: list[str] = []

    def blocker() -> None:
        started.set()
        release.wait(scaled(10))

    def boom() -> None:
        raise RuntimeError("a handler bug")

    assert pool.submit("k", blocker)
    assert started.wait(scaled(5))
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
    assert finished.wait(scaled(5))
    pool.shutdown(wait=True)
    # One thread: the quiet key still gets its turn before the chatty backlog is drained.
    assert order.index("quiet") < order.index("chatty-39")
    assert [o for o in order if o != "quiet"] == [f"chatty-{i}" for i in range(40)]


def test_an_inline_task_of_an_idle_key_runs_at_once_on_the_caller() -> None:
    pool = KeyedExecutor(2)
    ran_on: list[threading.Thread] = []
    assert pool.submit("kiosk", lambda: ran_on.append(threading.current_thread()), inline=True)
    assert ran_on == [threading.current_thread()]
    pool.shutdown(wait=True)


def test_an_inline_task_waits_behind_its_keys_backlog() -> None:
    pool = KeyedExecutor(2)
    gate = threading.Event()
    order: list[str] = []
    pool.submit("kiosk", partial(gate.wait, 10))
    pool.submit("kiosk", partial(order.append, "queued"))
    assert pool.submit("kiosk", partial(order.append, "inline"), inline=True)
    assert order == []  # not run here, ahead of the task queued before it
    gate.set()
    pool.shutdown(wait=True)
    assert order == ["queued", "inline"]


def test_tasks_submitted_during_an_inline_run_follow_it_and_shutdown_waits_for_it() -> None:
    pool = KeyedExecutor(2)
    order: list[str] = []
    started, release = threading.Event(), threading.Event()

    def inline_task() -> None:
        started.set()
        release.wait(scaled(10))
        order.append("inline")

    submitter = threading.Thread(target=pool.submit, args=("kiosk", inline_task), kwargs={"inline": True})
    submitter.start()
    assert started.wait(scaled(5))
    assert pool.submit("kiosk", partial(order.append, "after"))
    stopper = threading.Thread(target=pool.shutdown)
    stopper.start()
    eventually(
        lambda: parked_in(stopper, "KeyedExecutor.shutdown") or not stopper.is_alive(),
        what="shutdown() waiting for the inline task",
    )
    assert stopper.is_alive(), "shutdown() returned with a task still running inline"
    release.set()
    stopper.join(scaled(10))
    submitter.join(scaled(10))
    assert not stopper.is_alive()
    assert order == ["inline", "after"]
