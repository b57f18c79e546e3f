"""Regions named in Armenian: pycountry has no Armenian ISO 3166-2 catalog, so the project ships one."""

import json
import re
from pathlib import Path

import pycountry

from campaign import i18n
from campaign.targets.models import Official

NAMES = Path(i18n.__file__).parent / "translations" / "regions_hy.json"
ARMENIAN_LETTER = re.compile("[\u0531-\u0587]")


def test_every_armenian_region_name_is_for_a_subdivision_pycountry_knows_and_is_written_in_armenian():
    names = json.loads(NAMES.read_text(encoding="utf-8"))
    assert [code for code in names if pycountry.subdivisions.get(code=code) is None] == []
    assert [code for code, name in names.items() if not ARMENIAN_LETTER.search(name)] == []
    # Armenia, the United States, Canada, France and Russia, every subdivision of each.
    for country in ("AM", "US", "CA", "FR", "RU"):
        missing = [s.code for s in pycountry.subdivisions.get(country_code=country) if s.code not in names]
        assert missing == [], country


def test_a_region_is_named_in_armenian_for_an_armenian_reader_and_as_before_for_others():
    assert i18n.region_name_in("AM-ER", "hy") == "Երևան"
    assert i18n.region_name_in("am-lo", "hy") == "Լոռու մարզ"
    assert i18n.region_name_in("CA-ON", "hy") == "Օնտարիո"
    assert i18n.region_name_in("US-DC", "hy") == "Կոլումբիայի շրջան"
    assert i18n.region_name_in("FR-IDF", "hy") == "Իլ-դը-Ֆրանս"
    assert i18n.region_name_in("RU-MOW", "hy") == "Մոսկվա"
    # Where we have no Armenian name, pycountry's name as before; other languages keep pycountry's catalogs.
    assert i18n.region_name_in("DE-BY", "hy") == "Bayern"
    assert i18n.region_name_in("DE-BY", "fr") == "Bavière"
    assert i18n.region_name_in("CA-ON", "en") == "Ontario"
    assert i18n.region_name_in("XX-YY", "hy") == "XX-YY"


def test_the_letter_forms_region_list_names_yerevan_and_ontario_in_armenian(
    db, client, officials, make_letter_campaign
):
    db.session.add(
        Official(
            name="Ani Yerevan", title="Council member", body="", country="AM", region="AM-ER", email="a@e.am"
        )
    )
    db.session.commit()
    make_letter_campaign()

    armenian = client.get("/campaigns/letters?lang=hy").get_data(as_text=True)
    assert '<option value="AM-ER">Երևան, Հայաստան</option>' in armenian
    assert '<option value="CA-ON">Օնտարիո, Կանադա</option>' in armenian
    assert '<option value="CA-QC">Քվեբեկ, Կանադա</option>' in armenian
    assert "Erevan" not in armenian and "Ontario" not in armenian

    english = client.get("/campaigns/letters?lang=en").get_data(as_text=True)
    assert '<option value="CA-ON">Ontario, Canada</option>' in english
