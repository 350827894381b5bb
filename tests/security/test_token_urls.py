"""A secret link's token that Madoguchi could not have made is a 404 before it reaches the database."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("token", ["%00", "abc%00def", "a%20b", "%E3%81%82", "a.b"])
@pytest.mark.parametrize("suffix", ["", "cancel/", "change/", "calendar.ics"])
def test_a_malformed_token_is_a_404(client, token, suffix) -> None:
    response = client.get(f"/reservation/{token}/{suffix}")
    assert response.status_code == 404


def test_a_well_formed_unknown_token_is_a_404_too(client) -> None:
    assert client.get("/reservation/AbC-123_xyz/").status_code == 404
