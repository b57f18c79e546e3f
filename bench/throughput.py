"""(a) sign throughput against (b) the bare INSERT ceiling, (f) no accepted signature lost,
and (c) campaign page views against a bare hello world."""

from __future__ import annotations

from dataclasses import dataclass, field

from bench import wrk
from bench.measure import Pair, settle, with_cpu
from bench.stack import Stack, fetch_form

SLUG = "recognize-artsakh"


@dataclass
class SignResult:
    """The sign pair, what the app accepted, what it stored, and the mail backlog it left."""

    pair: Pair
    accepted: int = 0
    rows: int = 0
    settle_seconds: list[float] = field(default_factory=list)

    @property
    def lost(self) -> int:
        """Accepted (3xx) sign requests with no stored signature."""
        return max(0, self.accepted - self.rows)


def sign_throughput(stack: Stack) -> SignResult:
    """Post real forms to the app and to the bare INSERT app, round after round, then count rows."""
    settings = stack.settings
    fields, cookie = fetch_form(stack.app_url, f"/campaigns/{SLUG}")
    app_path = f"/campaigns/{SLUG}/sign"
    result = SignResult(Pair("sign"))

    def load(url: str, path: str, tag: str, duration: float) -> wrk.WrkResult:
        """One wrk run of the sign script."""
        return wrk.run(
            url + path,
            "sign.lua",
            [path, f"{stack.run_id}{tag}", fields, cookie, stack.app_url],
            duration,
            settings.wrk_threads,
            settings.connections,
        )

    result.accepted += load(stack.app_url, app_path, "w", settings.warmup).redirects
    load(stack.bare_url, "/sign", "w", settings.warmup)
    for round_number in range(settings.rounds):
        result.settle_seconds.append(settle(stack, settings.drain_timeout))
        tag = f"r{round_number}"
        bare = with_cpu(stack, lambda: load(stack.bare_url, "/sign", tag, settings.duration))  # noqa: B023
        app = with_cpu(stack, lambda: load(stack.app_url, app_path, tag, settings.duration))  # noqa: B023
        result.accepted += app.result.redirects
        result.pair.add(app, bare)
        print(
            f"  sign round {round_number + 1}: app {app.result.rate:.0f}/s, bare insert "
            f"{bare.result.rate:.0f}/s",
            flush=True,
        )
    result.settle_seconds.append(settle(stack, settings.drain_timeout))
    with stack.connect() as connection:
        row = connection.execute(
            "SELECT count(*) FROM signatures s JOIN campaigns c ON c.id = s.campaign_id WHERE c.slug = %s",
            (SLUG,),
        ).fetchone()
    result.rows = int(row[0]) if row else 0
    return result


def page_views(stack: Stack) -> Pair:
    """GET the campaign page and the bare hello world, round after round."""
    settings = stack.settings
    pair = Pair("page")
    page = f"/campaigns/{SLUG}"

    def load(url: str, path: str, duration: float) -> wrk.WrkResult:
        """One wrk run of the GET script."""
        return wrk.run(url + path, "get.lua", [path], duration, settings.wrk_threads, settings.connections)

    load(stack.app_url, page, settings.warmup)
    load(stack.bare_url, "/", settings.warmup)
    for round_number in range(settings.rounds):
        settle(stack, settings.drain_timeout)
        bare = with_cpu(stack, lambda: load(stack.bare_url, "/", settings.duration))
        app = with_cpu(stack, lambda: load(stack.app_url, page, settings.duration))
        pair.add(app, bare)
        print(
            f"  page round {round_number + 1}: app {pair.app[-1].rate:.0f}/s, hello world "
            f"{pair.baseline[-1].rate:.0f}/s",
            flush=True,
        )
    return pair
