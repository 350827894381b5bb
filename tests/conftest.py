from __future__ import annotations

import pytest
import time_machine

from tests import factories


@pytest.fixture(autouse=True)
def _media_root(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


@pytest.fixture(autouse=True)
def _fresh_cache():
    from django.core.cache import cache

    from reservations import local_cache

    cache.clear()
    local_cache.clear()
    yield
    cache.clear()
    local_cache.clear()


@pytest.fixture(autouse=True)
def _japanese_between_tests():
    # LocaleMiddleware leaves the last response's language active in the thread: a test that browsed in
    # English would otherwise make the next test's lazy strings (form help texts, messages) English.
    from django.conf import settings
    from django.utils import translation

    yield
    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture
def frozen():
    """Time stands still at factories.NOW (Wednesday 25 November 2026, 10:00 in Tokyo)."""
    with time_machine.travel(factories.NOW, tick=False) as traveller:
        yield traveller


@pytest.fixture
def alice(db):
    """A counter clerk."""
    return factories.user("alice", "clerk")


@pytest.fixture
def bob(db):
    """The supervisor."""
    return factories.user("bob", "supervisor")


@pytest.fixture
def charlie(db):
    """A logged-in user with no staff role."""
    return factories.user("charlie")


@pytest.fixture
def clerk_client(client, alice):
    client.force_login(alice)
    return client


def verify_second_factor(client, user):
    """Give the user an authenticator app and mark this client's session as having passed it."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    device = TOTPDevice.objects.create(user=user, name="test", confirmed=True)
    session = client.session
    session["otp_device_id"] = device.persistent_id
    session.save()
    return device


@pytest.fixture
def supervisor_client(client, bob):
    client.force_login(bob)
    verify_second_factor(client, bob)
    return client
