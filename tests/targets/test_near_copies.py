"""Near-identical letters: a paragraph copied with a word changed is held like a word-for-word copy.

Signers sign through the sign form and confirm through their emails, each
from an address of their own (one address signing again and again trips the
flood rules, which is not what these tests are about).
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from campaign.signing.models import Signature
from campaign.targets import copies, delivery
from campaign.targets import service as targets
from campaign.targets.models import Letter
from tests.support.forms import csrf_token

PARAGRAPH = (
    "I am writing to ask you to suspend every arms export permit to the region at once, "
    "until an independent inquiry has established how these weapons were used against civilians "
    "and their homes during the war, and to make public every licence granted since the fighting began, "
    "so that the people you represent can judge for themselves what was sold and to whom"
)
# One word of the paragraph changed in each: none is a word-for-word copy of another. The
# paragraph is a letter's length: on a very short one, two variants (two words apart) sit
# near the likeness threshold and 64 keyed minima put some pairs below it, by the key's luck.
ONE_WORD_CHANGED = [
    PARAGRAPH.replace(word, other)
    for word, other in [
        ("suspend", "halt"),
        ("every", "each"),
        ("independent", "impartial"),
        ("homes", "houses"),
        ("civilians", "families"),
        ("inquiry", "investigation"),
    ]
]
DIFFERENT = (
    "My grandmother still lives in a village near the border and she hears the drones at night; "
    "please use your voice in parliament to protect people like her and to stop the bombing of schools"
)


def write(client: Any, slug: str, n: int, email: str, message: str) -> None:
    """Sign the letter campaign through its form, from a client address of this signer's own."""
    address = {"REMOTE_ADDR": f"198.51.{n}.7"}
    page = client.get(f"/campaigns/{slug}", environ_overrides=address)
    answer = client.post(
        f"/campaigns/{slug}/sign",
        data={
            "csrf_token": csrf_token(page.get_data(as_text=True)),
            "given_name": "Writer",
            "family_name": f"Number {n}",
            "email": email,
            "country": "FR",
            "postal_code": "75001",
            "message": message,
        },
        environ_overrides=address,
    )
    assert answer.status_code == 303, answer.status_code


def letter_of(db: Any, signature_id: int) -> Letter:
    """The one letter a signature wrote (the campaign writes to one official)."""
    db.session.expire_all()
    return db.session.execute(select(Letter).where(Letter.signature_id == signature_id)).scalar_one()


def newest_signature(db: Any) -> int:
    """The id of the newest signature (each signer here signs once, one after another)."""
    db.session.expire_all()
    return int(db.session.execute(select(Signature.id).order_by(Signature.id.desc()).limit(1)).scalar_one())


def test_a_letter_with_one_word_changed_is_held_like_a_copy_while_different_letters_pass(
    db, client, officials, make_letter_campaign, confirm_link
):
    settings = make_letter_campaign(targets=[officials["fr"]], hourly_cap=1000)
    slug = "letters"
    written: dict[str, int] = {}
    # As many signers as it takes to make a copy, each changing a different word.
    for n, message in enumerate(ONE_WORD_CHANGED[: targets.COPY_THRESHOLD]):
        email = f"copier{n}@example.org"
        write(client, slug, n, email, message)
        assert confirm_link(email).status_code == 303
        written[email] = newest_signature(db)
    assert not any(letter_of(db, s).is_held for s in written.values())

    # The next one-word variant is held for review, as a word-for-word copy would be...
    write(client, slug, 50, "next@example.org", ONE_WORD_CHANGED[targets.COPY_THRESHOLD])
    assert confirm_link("next@example.org").status_code == 303
    near = letter_of(db, newest_signature(db))
    assert near.is_held and near.outbox_id is None

    # ...while a letter in the signer's own words goes out.
    write(client, slug, 60, "own@example.org", DIFFERENT)
    assert confirm_link("own@example.org").status_code == 303
    own = letter_of(db, newest_signature(db))
    assert not own.is_held and own.outbox_id is not None
    status = {row.official.email: row for row in _status(client, settings.campaign_id)}
    assert status["fr@example.org"].count("held") == 1


def _status(client: Any, campaign_id: int) -> list[Any]:
    """The per-official delivery status organizers see."""
    with client.application.app_context():
        return delivery.delivery_status(campaign_id)


def test_only_a_keyed_minhash_of_the_words_is_kept_and_it_measures_likeness(
    db, client, officials, make_letter_campaign, confirm_link
):
    make_letter_campaign(targets=[officials["fr"]])
    write(client, "letters", 1, "private@example.org", PARAGRAPH)
    db.session.expire_all()
    sketch = db.session.execute(select(copies.MessageSketch)).scalar_one()
    # 64 minima of 32 bits: no word, no shingle of the paragraph is in it.
    assert len(sketch.minhash) == copies.PERMUTATIONS * 4
    assert b"arms" not in sketch.minhash and b"export" not in sketch.minhash
    with client.application.test_request_context():
        assert copies.sketch(PARAGRAPH) == sketch.minhash  # keyed, so the same words give the same sketch
        near = copies.similarity(sketch.minhash, copies.sketch(ONE_WORD_CHANGED[0]) or b"")
        far = copies.similarity(sketch.minhash, copies.sketch(DIFFERENT) or b"")
        assert near >= client.application.config["NEAR_COPY_PERCENT"] / 100 > far
        # A few words are compared word for word only: short sentences are alike by nature.
        assert copies.sketch("I support this") is None
