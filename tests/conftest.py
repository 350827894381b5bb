from __future__ import annotations

import pytest
import time_machine

from tests import factories


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):  # noqa: ANN001, ANN202
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _fresh_cache():  # noqa: ANN202
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def frozen():  # noqa: ANN201
    """Time stands still at factories.NOW (Wednesday 25 November 2026, 10:00 in Tokyo)."""
    with time_machine.travel(factories.NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def alice(db):  # noqa: ANN001, ANN201
    """A counter clerk."""
    return factories.user("alice", "clerk")


@pytest.fixture
def bob(db):  # noqa: ANN001, ANN201
    """The supervisor."""
    return factories.user("bob", "supervisor")


@pytest.fixture
def charlie(db):  # noqa: ANN001, ANN201
    """A logged-in user with no staff role."""
    return factories.user("charlie")


@pytest.fixture
def clerk_client(client, alice):  # noqa: ANN001, ANN201
    client.force_login(alice)
    return client


@pytest.fixture
def supervisor_client(client, bob):  # noqa: ANN001, ANN201
    client.force_login(bob)
    return client
