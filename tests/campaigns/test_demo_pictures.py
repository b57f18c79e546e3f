"""The demo as a newcomer first sees it: each campaign with a picture drawn for it, described for
people who cannot see it, run by an organization with its logo, and whom it addresses."""

from __future__ import annotations

import io

from PIL import Image

from campaign.campaigns.demo import DEMO_ORGANIZATION, seed_demo


def test_the_demo_campaigns_show_their_pictures_their_organization_and_whom_they_address(db, client):
    assert seed_demo() == 2

    petition = client.get("/campaigns/recognize-artsakh").get_data(as_text=True)
    letter = client.get("/campaigns/suspend-arms-exports").get_data(as_text=True)

    assert 'alt="A drawing of green mountains at sunrise' in petition
    assert 'alt="A drawing of letters flying towards a government building."' in letter
    for html in (petition, letter):
        image = html.split('<img class="campaign-image" src="')[1].split('"')[0]
        served = client.get(image)
        assert served.status_code == 200 and served.mimetype == "image/png"
        assert Image.open(io.BytesIO(served.data)).size == (1200, 630)
        host = html.split('class="host-card"')[1].split("</section>")[0]
        assert DEMO_ORGANIZATION["name"] in host
        logo = host.split('src="')[1].split('"')[0]
        assert client.get(logo).status_code == 200
    assert "Our national parliaments and governments" in petition
    assert "Each letter goes to the signer's own officials" in letter
