from notices import checks


def test_the_check_warns_without_harfbuzz_subsetting(monkeypatch) -> None:
    monkeypatch.setattr(checks, "harfbuzz_subset_available", lambda: False)
    monkeypatch.setattr(checks, "installed_japanese_fonts", lambda: ["BIZ UDMincho"])
    ids = [m.id for m in checks.check_letter_rendering()]
    assert ids == ["madoguchi.W001"]


def test_the_check_fails_without_a_japanese_letter_font(monkeypatch) -> None:
    monkeypatch.setattr(checks, "harfbuzz_subset_available", lambda: True)
    monkeypatch.setattr(checks, "installed_japanese_fonts", lambda: [])
    messages = checks.check_letter_rendering()
    assert [m.id for m in messages] == ["madoguchi.E001"]
    assert messages[0].is_serious()


def test_this_machine_has_what_letters_need() -> None:
    assert checks.harfbuzz_subset_available()
    assert "BIZ UDMincho" in checks.installed_japanese_fonts()
    assert checks.check_letter_rendering() == []
