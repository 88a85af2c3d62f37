"""normalize(): the one alias key of build and lookup; alias_variants(): the fallback keys."""

from hypothesis import example, given
from hypothesis import strategies as st

from jointel.kb import alias_variants, normalize


@given(st.text())
def test_normalize_is_idempotent(text):
    assert normalize(normalize(text)) == normalize(text)


@given(st.text())
def test_alias_variants_are_keys(text):
    for variant in alias_variants(text):
        assert normalize(variant) == variant != normalize(text)


@given(st.text())
@example("Ꭰ")  # Cherokee: casefolding gives the capital letter, lower() the small one; the key is casefolded
def test_normalize_leaves_no_case_edges_or_double_spaces(text):
    key = normalize(text)
    assert key == key.strip()
    assert "  " not in key
    assert key == key.casefold()


@given(st.text(alphabet=st.characters(min_codepoint=32, max_codepoint=126)))
def test_normalize_ignores_ascii_case(text):
    assert normalize(text.upper()) == normalize(text.lower())


def test_normalize_folds_accents_and_letters_nfkd_keeps():
    assert normalize("Alain Juppé") == normalize("ALAIN JUPPE") == "alain juppe"
    assert normalize("Łódź") == "lodz"
    assert normalize("Orhan Çıkırıkçı") == "orhan cikirikci"


def test_normalize_matches_titles_to_news_spellings():
    assert normalize("U.S.") == normalize("US") == "us"
    assert normalize("Paris,_Texas") == normalize("Paris, Texas") == "paris texas"
    assert normalize("O’Neill") == normalize("O'Neill")
    assert normalize("Coca–Cola") == normalize("Coca-Cola") == "coca cola"


def test_normalize_of_punctuation_only_is_empty():
    assert normalize(" -- ... ") == ""


def test_alias_variants_strip_article_and_possessive():
    assert alias_variants("The Netherlands")[0] == "netherlands"
    assert alias_variants("Britain's")[0] == "britain"
    assert alias_variants("the Philippines’")[0] == "philippines"


def test_alias_variants_strip_company_suffix():
    assert "johnson controls" in alias_variants("Johnson Controls Inc.")


def test_alias_variants_never_repeat_the_key():
    for alias in ("Paris", "The Netherlands", "Afrikaners", "Inc"):
        variants = alias_variants(alias)
        assert normalize(alias) not in variants
        assert len(variants) == len(set(variants))
        assert "" not in variants


def test_alias_variants_of_a_plain_name_is_empty():
    assert alias_variants("Germany") == []
