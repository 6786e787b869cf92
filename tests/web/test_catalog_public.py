"""The public catalog pages (政务公开) over HTTP: no sign-in, the kiosk's text, the hall notice's QR
code to the list, and the administrators' page shell."""

from __future__ import annotations

import re

import qrcode.image.svg

from tests.web.conftest import Web


def test_the_list_links_every_published_matter_to_its_page(web: Web) -> None:
    client = web.anonymous()
    listing = client.get("/catalog", params={"hall": web.code})
    assert listing.status_code == 200 and listing.headers["cache-control"] == "no-cache"
    links = re.findall(r'href="(/catalog/m/[^"]+)"', listing.text)
    assert links == [f"/catalog/m/{code}?hall={web.code}" for code in ("A01", "B01", "C01")]
    page = client.get(links[1].replace("&amp;", "&"))
    assert page.status_code == 200
    assert "<h1>企业设立登记</h1>" in page.text and "承诺件" in page.text and "3个工作日" in page.text
    assert "<script>" in page.text and "/static/window/public_catalog.css" in page.text


def test_the_hall_notice_carries_a_qr_code_of_the_public_catalog(web: Web) -> None:
    response = web.anonymous().get("/catalog/notice", params={"hall": web.code})
    assert response.status_code == 200
    url = web.dh.hall.settings.public_base_url.rstrip("/") + f"/catalog?hall={web.code}"
    assert f'data-payload="{url}"' in response.text
    expected = qrcode.make(url, image_factory=qrcode.image.svg.SvgPathImage, box_size=10)
    assert expected.to_string(encoding="unicode") in response.text


def test_the_catalog_admin_page_is_a_shell_in_the_managers_bar(web: Web) -> None:
    response = web.anonymous().get("/console/catalog", params={"hall": web.code})
    assert response.status_code == 200 and response.headers["cache-control"] == "no-store"
    assert f'data-hall="{web.code}"' in response.text
    assert f'href="/console/catalog?hall={web.code}" class="active"' in response.text
    assert "/static/window/catalog_admin.js" in response.text and "{{" not in response.text
    script = web.anonymous().get("/static/window/catalog_admin.js")
    assert script.status_code == 200 and "/catalog/admin" in script.text
