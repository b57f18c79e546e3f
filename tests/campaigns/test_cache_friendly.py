"""Public pages a shared cache can keep: the same bytes for everyone, no cookie; the sign POST guarded by
the browser's own origin headers instead of a per-visitor token."""

import time

import pytest
from sqlalchemy import select

from campaign.mail.models import OutboxMessage
from campaign.signing import fill_time
from campaign.signing.models import Signature, SignatureStatus

SAME_ORIGIN = {"Sec-Fetch-Site": "same-origin", "Origin": "http://localhost"}
FORM = {
    "given_name": "Anahit",
    "family_name": "Petrosyan",
    "email": "anahit@example.org",
    "country": "AM",
    "postal_code": "0010",
}


def signatures(db):
    db.session.expire_all()
    return db.session.execute(select(Signature)).scalars().all()


def owed_mail(db):
    return db.session.execute(select(OutboxMessage)).scalars().all()


def fetch_twice(app, path, **kwargs):
    """The same address fetched by two fresh browsers without cookies, within one second.

    The page carries the second it was made in (the fill-time stamp); two
    fetches that straddle a second are fetched again.
    """
    for _attempt in range(5):
        first = app.test_client().get(path, **kwargs)
        second = app.test_client().get(path, **kwargs)
        if first.data == second.data:
            break
    return first, second


def assert_cacheable(response):
    assert response.status_code == 200
    assert "Set-Cookie" not in response.headers
    cache_control = response.cache_control
    assert cache_control.public and cache_control.max_age >= 1
    assert cache_control.stale_while_revalidate and cache_control.stale_if_error
    assert not cache_control.no_store and not cache_control.private


@pytest.mark.parametrize("path", ["/", "/ended", "/campaigns/recognize", "/campaigns/recognize?lang=hy"])
def test_two_visitors_get_the_same_public_page_and_no_cookie(app, db, make_campaign, path):
    make_campaign(slug="recognize", title="Recognize Artsakh")
    first, second = fetch_twice(app, path)
    assert first.data == second.data
    assert_cacheable(first)
    assert_cacheable(second)
    if "lang=" in path:
        assert 'lang="hy"' in first.get_data(as_text=True)
    else:
        # The language came from the browser's header: a cache keeps one copy per language.
        assert "Accept-Language" in first.vary


def test_the_language_the_header_asks_for_is_the_same_bytes_for_everyone_asking(app, db, make_campaign):
    make_campaign(slug="recognize")
    first, second = fetch_twice(app, "/campaigns/recognize", headers={"Accept-Language": "fr-FR,fr;q=0.9"})
    assert first.data == second.data and 'lang="fr"' in first.get_data(as_text=True)
    assert_cacheable(first)
    assert "Accept-Language" in first.vary


def test_the_count_is_public_and_sets_no_cookie(app, db, make_campaign):
    make_campaign(slug="recognize")
    first, second = fetch_twice(app, "/campaigns/recognize/count.json")
    assert first.data == second.data and first.json["count"] == 0
    assert_cacheable(first)


@pytest.mark.parametrize("path", ["/", "/campaigns/recognize", "/campaigns/recognize/count.json"])
def test_a_reader_who_carries_a_session_reads_the_same_bytes_which_do_not_vary_by_cookie(
    app, db, make_campaign, path
):
    """A public answer is the same for a reader with cookies (a session from a sign-in page, another
    site's) as for one without, and says so: with Vary: Cookie, a cache that honours Vary (nginx,
    most CDNs) would keep one copy per reader's cookies, and a surge of returning supporters would
    all reach the app."""
    make_campaign(slug="recognize", title="Recognize Artsakh")
    returning = app.test_client()
    assert "Set-Cookie" in returning.get("/login").headers  # a session of their own
    for _attempt in range(5):
        plain, theirs = app.test_client().get(path), returning.get(path)
        if plain.data == theirs.data:
            break
    assert theirs.data == plain.data
    assert_cacheable(theirs)
    for answer in (plain, theirs):
        assert "Cookie" not in answer.vary, answer.headers.get("Vary")


@pytest.mark.parametrize("path", ["/campaigns/recognize", "/"])
def test_what_one_reader_brings_in_the_address_never_reaches_another(app, db, make_campaign, path):
    """A page made for every reader holds nothing of one reader's address: not the click id a social
    network added to their link (it names their click), nor anything else they typed into it."""
    make_campaign(slug="recognize")
    mark = "IwAR-one-readers-click"
    theirs = app.test_client().get(f"{path}?fbclid={mark}&utm_source=facebook&gclid={mark}")
    others = app.test_client().get(path)
    for answer in (theirs, others):
        assert mark.encode() not in answer.data and b"utm_source" not in answer.data
    if path != "/":  # the campaign page is made once for everyone, whatever its address carried
        app.test_client().get(f"{path}?note=typed-by-one-reader")
        assert b"typed-by-one-reader" not in app.test_client().get(path).data
    else:  # a page made for this request alone keeps its own parameters in its language links
        page = app.test_client().get(f"{path}?page=2&fbclid={mark}").get_data(as_text=True)
        assert "/?page=2&amp;lang=hy" in page and mark not in page


def test_a_visitor_signs_without_any_cookie(app, db, make_campaign):
    make_campaign(slug="recognize")
    browser = app.test_client(use_cookies=False)
    page = browser.get("/campaigns/recognize")
    assert "Set-Cookie" not in page.headers
    shown_at = page.get_data(as_text=True).split('name="shown_at" type="hidden" value="')[1].split('"')[0]
    time.sleep(0.1)
    answer = browser.post(
        "/campaigns/recognize/sign", data={**FORM, "shown_at": shown_at}, headers=SAME_ORIGIN
    )
    assert answer.status_code == 303
    assert answer.headers["Location"] == "/campaigns/recognize/check-your-inbox"
    assert "Set-Cookie" not in answer.headers
    [signature] = signatures(db)
    assert signature.status == SignatureStatus.PENDING
    assert len(owed_mail(db)) == 1


@pytest.mark.parametrize(
    "headers",
    [
        {"Sec-Fetch-Site": "cross-site", "Origin": "https://evil.example"},
        {"Sec-Fetch-Site": "same-site", "Origin": "https://sub.localhost"},
        {"Origin": "https://evil.example"},  # a browser without Fetch Metadata
        {"Origin": "null"},  # a page that hides where it is (Referrer-Policy: no-referrer, a sandbox)
        {"Origin": "https://localhost"},  # another scheme is another origin
        {"Referer": "https://evil.example/campaign-copy"},  # neither of the two: the Referer decides
    ],
)
def test_a_post_from_another_site_is_refused_and_nothing_is_stored_or_mailed(
    client, db, make_campaign, headers
):
    make_campaign(slug="recognize")
    answer = client.post("/campaigns/recognize/sign", data=FORM, headers=headers)
    assert answer.status_code == 403
    assert "This form can only be sent from its own page." in answer.get_data(as_text=True)
    assert signatures(db) == [] and owed_mail(db) == []


@pytest.mark.parametrize(
    "headers",
    [
        SAME_ORIGIN,
        {"Origin": "http://localhost"},
        {"Origin": "http://localhost:80"},
        {"Referer": "http://localhost/campaigns/recognize?lang=fr"},
        {"Sec-Fetch-Site": "none"},  # the user's own action (a bookmark)
        {"Referer": ""},  # blanked by a privacy tool: says nothing
        # None of the three: no browser posting a forged form from another site sends none of them,
        # so this is a script or a browser that strips them, and it is taken (docs/SECURITY.md).
        {},
    ],
)
def test_a_post_from_our_own_page_is_taken(client, db, make_campaign, headers):
    make_campaign(slug="recognize")
    answer = client.post("/campaigns/recognize/sign", data=FORM, headers=headers)
    assert answer.status_code == 303
    assert len(signatures(db)) == 1


def test_the_honeypot_still_stores_nothing(client, db, make_campaign):
    make_campaign(slug="recognize")
    answer = client.post(
        "/campaigns/recognize/sign", data={**FORM, "website": "https://spam.example"}, headers=SAME_ORIGIN
    )
    assert answer.status_code == 303
    assert answer.headers["Location"] == "/campaigns/recognize/check-your-inbox"
    assert signatures(db) == [] and owed_mail(db) == []


def stamp_from(app, seconds_ago):
    with app.test_request_context():
        return fill_time._serializer().dumps(int(time.time()) - seconds_ago)


def test_a_form_sent_back_faster_than_people_type_is_flagged(app, client, db, make_campaign):
    make_campaign(slug="recognize")
    page = client.get("/campaigns/recognize").get_data(as_text=True)
    shown_at = page.split('name="shown_at" type="hidden" value="')[1].split('"')[0]
    client.post("/campaigns/recognize/sign", data={**FORM, "shown_at": shown_at}, headers=SAME_ORIGIN)
    [signature] = signatures(db)
    assert signature.flood_rule == fill_time.TOO_FAST_FLAG
    # Flagged for staff, not refused: the person still gets their confirmation email.
    assert signature.status == SignatureStatus.PENDING and len(owed_mail(db)) == 1


@pytest.mark.parametrize(
    ("email", "shown_at", "flag"),
    [
        ("slow@example.org", 10, None),  # a person who read the campaign first
        ("forged@example.org", "not-our-stamp", fill_time.TOO_FAST_FLAG),
        ("nostamp@example.org", None, None),  # posted without the page: the other rules judge it
    ],
)
def test_the_fill_time_judges_only_the_stamp_it_signed(app, client, db, make_campaign, email, shown_at, flag):
    make_campaign(slug="recognize")
    form = {**FORM, "email": email}
    if isinstance(shown_at, int):
        form["shown_at"] = stamp_from(app, shown_at)
    elif shown_at is not None:
        form["shown_at"] = shown_at
    assert client.post("/campaigns/recognize/sign", data=form, headers=SAME_ORIGIN).status_code == 303
    [signature] = signatures(db)
    assert signature.flood_rule == flag


def test_a_page_served_from_a_cache_makes_a_person_look_slower_never_faster(app, db, make_campaign):
    """The stamp is the second the page was made: a copy kept by a cache only ages it."""
    make_campaign(slug="recognize")
    cached_page = app.test_client().get("/campaigns/recognize").get_data(as_text=True)
    shown_at = cached_page.split('name="shown_at" type="hidden" value="')[1].split('"')[0]
    with app.test_request_context():
        made_at = fill_time._serializer().loads(shown_at)
    assert made_at <= time.time()
    with app.test_request_context():
        assert fill_time.is_too_fast(shown_at)
        assert not fill_time.is_too_fast(stamp_from(app, app.config["SIGN_MIN_FILL_SECONDS"]))


def test_pages_of_ones_own_keep_no_store_and_their_csrf_token(client, db):
    page = client.get("/my/")
    assert page.headers["Cache-Control"] == "no-store"
    refused = client.post("/my/", data={"email": "anahit@example.org"})
    assert refused.status_code == 400  # no CSRF token: the person's own forms still need one
    login = client.get("/login")
    assert login.headers["Cache-Control"] == "no-store"
    assert 'name="csrf_token"' in login.get_data(as_text=True)
