"""A misbehaving plugin is contained: fork bombs, sockets, files outside its folder."""

from __future__ import annotations

from pathlib import Path

import pytest

from plugin_sdk.loader import load_plugin
from plugin_sdk.runtime.limits import Limits
from plugin_sdk.runtime.outcome import Reason
from plugin_sdk.runtime.policy import ExecutionPolicy
from plugin_sdk.runtime.process import session_members, task_count
from plugin_sdk.runtime.runner import run_plugin
from plugin_sdk.runtime.sandbox import SandboxedExecutor, bubblewrap_path
from tests.plugin_factory import make_plugin

pytestmark = pytest.mark.slow

PY_PLOT = (
    "import matplotlib.pyplot as plt\n"
    "def main(ctx):\n"
    "    fig, ax = plt.subplots(figsize=ctx.figsize)\n"
    "    ax.plot([1, 2, 3])\n"
    "    ctx.export_single(fig)\n"
)


@pytest.fixture(scope="module")
def sandbox() -> SandboxedExecutor:
    if bubblewrap_path() is None:
        pytest.fail("bubblewrap must work on this machine (setup/install.sh installs it)")
    return SandboxedExecutor()


def plugin_from(tmp_path: Path, script: str, language: str = "python"):
    loaded = load_plugin(make_plugin(tmp_path / "plugins", script, language=language))
    assert loaded.plugin is not None, [str(f) for f in loaded.findings]
    return loaded.plugin


def test_sandboxed_python_plugin_still_draws(tmp_path, sandbox, mpl_config_dir):
    result = run_plugin(plugin_from(tmp_path, PY_PLOT), {"use_example": True}, tmp_path / "job", executor=sandbox)
    assert result.ok, (result.message, result.log_tail)
    assert {o.kind for o in result.outputs} >= {"pdf", "png"}


def test_sandboxed_r_plugin_still_draws(tmp_path, sandbox, r_library):
    script = 'pacman::p_load("ggplot2")\nexport_single(ggplot(data, aes(gene, value)) + geom_col())\n'
    plugin = plugin_from(tmp_path, script, language="r")
    result = run_plugin(plugin, {"use_example": True}, tmp_path / "job", executor=sandbox)
    assert result.ok, (result.message, result.log_tail)


def test_sandbox_has_no_network(tmp_path, sandbox, mpl_config_dir):
    """A server listens on this machine's loopback: reachable without the sandbox, not inside it."""
    import socket

    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    port = listener.getsockname()[1]
    script = (
        "import socket\n"
        "def main(ctx):\n"
        "    for host in ['127.0.0.1', '192.0.2.1']:\n"
        "        try:\n"
        f"            socket.create_connection((host, {port}), timeout=2).close()\n"
        "        except OSError as exc:\n"
        "            print('blocked', host, exc)\n"
        "            continue\n"
        "        raise SystemExit('reached ' + host)\n"
        "    raise ValueError('no network')\n"
    )
    plugin = plugin_from(tmp_path, script)
    try:
        inside = run_plugin(plugin, {"use_example": True}, tmp_path / "inside", executor=sandbox)
        outside = run_plugin(plugin, {"use_example": True}, tmp_path / "outside")
    finally:
        listener.close()
    assert "no network" in inside.message, (inside.message, inside.log_tail)
    assert "reached 127.0.0.1" in outside.message + "\n".join(outside.log_tail)


def test_sandbox_cannot_read_outside_its_folder(tmp_path, sandbox):
    secret = tmp_path / "other-job" / "secret.txt"
    secret.parent.mkdir()
    secret.write_text("another user's data")
    script = (
        "def main(ctx):\n"
        f"    for path in ['/etc/shadow', '/root/.bash_history', {str(secret)!r}]:\n"
        "        try:\n"
        "            open(path).read()\n"
        "        except OSError:\n"
        "            continue\n"
        "        raise SystemExit('could read ' + path)\n"
        "    raise ValueError('nothing outside was readable')\n"
    )
    result = run_plugin(plugin_from(tmp_path, script), {"use_example": True}, tmp_path / "job", executor=sandbox)
    assert "nothing outside was readable" in result.message, (result.message, result.log_tail)


def test_untrusted_plugins_are_routed_to_the_sandbox(tmp_path):
    policy = ExecutionPolicy.create([tmp_path / "trusted"])
    plugin = plugin_from(tmp_path, PY_PLOT)
    assert not policy.is_trusted(plugin)
    assert isinstance(policy.executor_for(plugin), SandboxedExecutor)


@pytest.mark.parametrize("language", ["python", "r"])
def test_fork_bomb_is_stopped_with_its_own_reason(tmp_path, language, r_library):
    if language == "python":
        script = "import os, time\ndef main(ctx):\n    while True:\n        os.fork()\n        time.sleep(0.01)\n"
    else:
        script = 'repeat { system2("sleep", "30", wait = FALSE) }\n'
    plugin = plugin_from(tmp_path, script, language=language)
    result = run_plugin(plugin, {"use_example": True}, tmp_path / "job",
                        limits=Limits(max_processes=20, wall_clock_s=60))
    assert result.reason is Reason.TOO_MANY_PROCESSES, (result.reason, result.message)
    job_dir = str(tmp_path / "job")
    stray = [pid for pid in _all_pids() if job_dir in _cmdline(pid) or _cwd(pid).startswith(job_dir)]
    assert stray == []


def _all_pids() -> list[int]:
    return [int(p.name) for p in Path("/proc").iterdir() if p.name.isdigit()]


def _cmdline(pid: int) -> str:
    try:
        return Path(f"/proc/{pid}/cmdline").read_bytes().decode(errors="replace")
    except OSError:
        return ""


def _cwd(pid: int) -> str:
    try:
        return str(Path(f"/proc/{pid}/cwd").resolve())
    except OSError:
        return ""


def test_session_members_sees_this_session():
    import os

    assert os.getpid() in session_members(os.getsid(0))


def test_task_count_counts_this_process_and_its_threads():
    import os
    import threading

    stop = threading.Event()
    threads = [threading.Thread(target=stop.wait) for _ in range(3)]
    for thread in threads:
        thread.start()
    try:
        assert task_count() >= len(os.listdir("/proc/self/task")) >= 4
    finally:
        stop.set()
        for thread in threads:
            thread.join()
