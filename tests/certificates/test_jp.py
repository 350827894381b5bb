from datetime import date

import pytest

from certificates import jp


def test_it_turns_hiragana_and_half_width_kana_into_full_width_katakana() -> None:
    assert jp.to_katakana("やまだ") == "ヤマダ"
    assert jp.to_katakana("ﾔﾏﾀﾞ") == "ヤマダ"
    assert jp.to_katakana(" ヤマダ　はなこ ") == "ヤマダ ハナコ"


def test_it_tells_katakana_from_other_scripts() -> None:
    assert jp.is_katakana("ヤマダ")
    assert not jp.is_katakana("山田")
    assert not jp.is_katakana("Yamada")
    assert not jp.is_katakana("")


@pytest.mark.parametrize("raw", ["5300001", "530-0001", "５３０－０００１", "〒530-0001", "530ー0001"])
def test_it_normalises_postal_codes(raw: str) -> None:
    assert jp.normalize_postal_code(raw) == "530-0001"


@pytest.mark.parametrize("raw", ["530-001", "53000011", "abc-defg", ""])
def test_it_rejects_postal_codes_without_seven_digits(raw: str) -> None:
    with pytest.raises(ValueError):
        jp.normalize_postal_code(raw)


def test_it_normalises_phone_numbers_for_search() -> None:
    assert jp.normalize_phone("０６－１２３４－５６７８") == "06-1234-5678"
    assert jp.phone_digits("06 (1234) 5678") == "0612345678"


def test_it_writes_dates_in_wareki_with_the_western_year() -> None:
    assert jp.wareki(date(2025, 1, 15)) == "令和7年(2025年)1月15日"
    assert jp.wareki(date(2019, 5, 1)) == "令和元年(2019年)5月1日"
    assert jp.wareki(date(2019, 4, 30)) == "平成31年(2019年)4月30日"
    assert jp.wareki(date(1989, 1, 8), western=False) == "平成元年1月8日"
