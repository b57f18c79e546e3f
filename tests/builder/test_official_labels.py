"""The builder's officials picker names countries and regions in words, in the organizer's language."""

from __future__ import annotations

from campaign.targets.models import Official
from tests.support.builder import draft_of


def test_the_officials_picker_names_the_region_and_country_in_words(db, team):
    db.session.add_all(
        [
            Official(name="Camille Gagnon", title="Member of the National Assembly", country="CA",
                     region="CA-QC", email="camille@example.org"),
            Official(name="Alex Tremblay", title="Minister of Foreign Affairs", country="CA",
                     email="alex@example.org"),
        ]
    )  # fmt: skip
    db.session.commit()
    campaign = draft_of(db, team.organizer, team.organization, kind="letter", title="Suspend arms exports")
    path = f"/organize/campaigns/{campaign.id}/letter"

    english = team.organizer.browser.get(path).get_data(as_text=True)
    french = team.organizer.browser.get(f"{path}?lang=fr").get_data(as_text=True)

    assert "Camille Gagnon, Member of the National Assembly (Quebec, Canada)" in english
    assert "Alex Tremblay, Minister of Foreign Affairs (Canada)" in english
    assert "CA-QC" not in english.split('name="official_ids"')[1]
    assert "(Québec, Canada)" in french
