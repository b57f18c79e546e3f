"""Every Celery queue has a worker wherever we start workers: a queue no worker reads keeps its
tasks (webhook deliveries) waiting for ever, silently."""

from __future__ import annotations

from pathlib import Path

import yaml

from campaign.supervise import programs
from campaign.taskqueue import DEFAULT_QUEUE, WEBHOOKS_QUEUE, celery_settings

ROOT = Path(__file__).resolve().parent.parent
QUEUES = {DEFAULT_QUEUE, WEBHOOKS_QUEUE}


def _queues_taken(command: list[str]) -> set[str]:
    """The queues a `celery worker` command takes (all of them when it names none)."""
    named = [part.split("=", 1)[1] for part in command if part.startswith("--queues=")]
    return {queue for names in named for queue in names.split(",")} if named else set(QUEUES)


def test_the_app_declares_exactly_these_queues(app):
    settings = celery_settings(app)
    assert {queue.name for queue in settings["task_queues"]} == QUEUES
    assert set(route["queue"] for route in settings["task_routes"].values()) <= QUEUES


def test_docker_compose_starts_a_worker_for_every_queue():
    services = yaml.safe_load((ROOT / "docker-compose.yml").read_text())["services"]
    workers = [
        s["command"]
        for s in services.values()
        if s.get("command", [])[:4] == ["celery", "-A", "worker", "worker"]
    ]
    assert set().union(*(_queues_taken(command) for command in workers)) == QUEUES
    # The mail's worker takes no webhook post: a slow endpoint must not hold it.
    assert _queues_taken(services["worker"]["command"]) == {DEFAULT_QUEUE}


def test_make_run_starts_a_worker_for_every_queue(tmp_path):
    workers = [p.args for p in programs("127.0.0.1", 5000, tmp_path) if "worker" in p.args[3:4]]
    assert set().union(*(_queues_taken(args) for args in workers)) == QUEUES
    assert len(workers) == 2
