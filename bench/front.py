"""The production front in the benchmark: Debian's nginx with deploy/nginx.conf before the app.

`nginx_configuration` fills in deploy/nginx.conf's placeholders and wraps it in a
minimal main configuration, as the official image wraps it in its own; the
front's tests (tests/test_nginx_front.py) and `make bench` both run it so.

`pages` is (h): the campaign page and count.json through nginx against the same
bytes served as static files by the same nginx, round after round.
"""

from __future__ import annotations

import http.client
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path

from bench import wrk
from bench.measure import Pair, with_cpu
from bench.stack import HOST, ROOT, Child, Stack, free_port

NGINX = "/usr/sbin/nginx"
# What browsers send as Accept-Encoding.
BROWSER_ENCODINGS = "gzip, deflate, br, zstd"
SLUG = "recognize-artsakh"
PLACEHOLDERS = (
    "CAMPAIGN_LISTEN",
    "CAMPAIGN_LIMITER_LISTEN",
    "CAMPAIGN_UPSTREAM",
    "CAMPAIGN_STATIC_ROOT",
    "CAMPAIGN_CACHE_PATH",
    "CAMPAIGN_ACCESS_LOG",
)


def nginx_configuration(
    folder: Path,
    listen: int,
    upstream: int,
    *,
    static_root: Path = ROOT / "static",
    access_log: str | None = None,
    workers: str = "1",
    error_level: str = "warn",
    trusted_client_header: bool = False,
) -> Path:
    """deploy/nginx.conf with its placeholders filled in, inside a main configuration of our own.

    `trusted_client_header`: nginx takes the client's address from the
    X-Forwarded-For the load generator sends, as it would from a CDN it
    trusts in front of it, so that the app sees many clients, not one.
    """
    values = {
        "CAMPAIGN_LISTEN": f"{HOST}:{listen}",
        "CAMPAIGN_LIMITER_LISTEN": f"{HOST}:{free_port()}",
        "CAMPAIGN_UPSTREAM": f"{HOST}:{upstream}",
        "CAMPAIGN_STATIC_ROOT": str(static_root),
        "CAMPAIGN_CACHE_PATH": str(folder / "cache"),
        "CAMPAIGN_ACCESS_LOG": access_log or str(folder / "access.log"),
    }
    text = (ROOT / "deploy" / "nginx.conf").read_text()
    for name in PLACEHOLDERS:
        text = text.replace("${" + name + "}", values[name])
    if "${CAMPAIGN_" in text:
        raise ValueError("a placeholder of deploy/nginx.conf was not filled in")
    (folder / "campaign.conf").write_text(text)
    temporary = "\n".join(
        f"    {kind}_temp_path {folder / kind};"
        for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi")
    )
    real_ip = (
        "    set_real_ip_from 127.0.0.1;\n    real_ip_header X-Forwarded-For;\n"
        if trusted_client_header
        else ""
    )
    main = folder / "nginx.conf"
    main.write_text(
        f"""user root;
worker_processes {workers};
pid {folder / "nginx.pid"};
error_log {folder / "error.log"} {error_level};
events {{ worker_connections 8192; }}
http {{
    include /etc/nginx/mime.types;
    default_type application/octet-stream;
{temporary}
{real_ip}    include {folder / "campaign.conf"};
}}
"""
    )
    return main


def nginx_command(configuration: Path) -> list[str]:
    """The command that runs nginx in the foreground with this configuration."""
    return [
        NGINX,
        "-c",
        str(configuration),
        "-e",
        str(configuration.parent / "error.log"),
        "-g",
        "daemon off;",
    ]


def check_configuration(configuration: Path) -> None:
    """Let nginx test the configuration; raise with its words if it refuses it."""
    done = subprocess.run(
        [*nginx_command(configuration)[:5], "-t"], capture_output=True, text=True, check=False
    )
    if done.returncode:
        raise RuntimeError(f"nginx refused its configuration:\n{done.stderr}")


@dataclass
class Front:
    """nginx running before the stack's app, and the folder its static baseline files are in."""

    port: int
    static: Path
    child: Child

    @property
    def url(self) -> str:
        """Where nginx listens."""
        return f"http://{HOST}:{self.port}"


def start(stack: Stack) -> Front:
    """Start nginx before the stack's gunicorn, trusting the load generator's X-Forwarded-For."""
    folder = stack.folder / "nginx"
    folder.mkdir(exist_ok=True)
    static = folder / "static"
    static.mkdir(exist_ok=True)
    port = free_port()
    configuration = nginx_configuration(
        folder,
        port,
        stack.app_port,
        static_root=static,
        workers="auto",
        trusted_client_header=True,
    )
    check_configuration(configuration)
    child = stack.start("nginx", nginx_command(configuration))
    deadline = time.monotonic() + 20
    while True:
        try:
            get(port, "/campaigns/" + SLUG)
            return Front(port, static, child)
        except OSError:
            if not child.is_running() or time.monotonic() > deadline:
                raise RuntimeError(f"nginx did not start:\n{child.tail()}") from None
            time.sleep(0.1)


def get(port: int, path: str, headers: dict[str, str] | None = None) -> tuple[int, dict[str, str], bytes]:
    """One GET on a fresh connection: status, headers (lower-case names), body (as sent)."""
    connection = http.client.HTTPConnection(HOST, port, timeout=10)
    try:
        connection.request("GET", path, headers=headers or {})
        response = connection.getresponse()
        return response.status, {k.lower(): v for k, v in response.getheaders()}, response.read()
    finally:
        connection.close()


@dataclass
class FrontResult:
    """(h) The campaign page and count.json through nginx, each against a static file of its bytes."""

    pairs: dict[str, Pair] = field(default_factory=dict)
    # What share of the app's answers nginx served from its cache (HIT, STALE, UPDATING), per page.
    sizes: dict[str, int] = field(default_factory=dict)


def pages(stack: Stack, front: Front) -> FrontResult:
    """GET each public page through nginx and its bytes as a static file, round after round."""
    settings = stack.settings
    result = FrontResult()
    # Name: the address, and the script that asks for it (and for its bytes as a static file).
    targets = {
        "page": (f"/campaigns/{SLUG}", "get.lua"),
        "count": (f"/campaigns/{SLUG}/count.json", "get.lua"),
        # The page as real browsers ask for it: many spellings of Accept-Language, cookies of their own.
        "browsers": (f"/campaigns/{SLUG}", "browsers.lua"),
    }
    for name, (path, script) in targets.items():
        # As browsers ask (the page comes compressed, as the app made it once), and its very bytes
        # for the static file.
        status, _headers, body = get(front.port, path, {"Accept-Encoding": BROWSER_ENCODINGS})
        if status != 200:
            raise RuntimeError(f"GET {path} through nginx answered {status}")
        static_name = "count.json" if name == "count" else "campaign.html"
        (front.static / static_name).write_bytes(body)
        result.sizes[name] = len(body)
        pair = result.pairs[name] = Pair(name)
        static_path = f"/static/{static_name}"

        def load(at: str, duration: float, script: str = script) -> wrk.WrkResult:
            """One wrk run of the target's script through nginx."""
            return wrk.run(
                front.url + at,
                script,
                [at, BROWSER_ENCODINGS],
                duration,
                settings.wrk_threads,
                settings.connections,
            )

        load(path, settings.warmup)
        load(static_path, settings.warmup)
        for number in range(settings.rounds):
            baseline = with_cpu(stack, lambda: load(static_path, settings.duration))  # noqa: B023
            app = with_cpu(stack, lambda: load(path, settings.duration))  # noqa: B023
            pair.add(app, baseline)
            print(
                f"  front {name} round {number + 1}: through nginx {app.result.rate:.0f}/s, "
                f"static file {baseline.result.rate:.0f}/s",
                flush=True,
            )
    return result
