import pytest

from shared.listening.matching import Match, Matcher, Term, normalize


def found(matcher: Matcher, text: str | None) -> list[str]:
    return [match.term for match in matcher.find(text)]


class TestNormalize:
    @pytest.mark.parametrize(
        ("text", "expected"),
        [
            ("Café", "cafe"),
            ("CAFÉ", "cafe"),
            ("café", "cafe"),
            ("Straße", "strasse"),
            ("ＮＩＫＥ", "nike"),  # full-width
            ("𝐍𝐢𝐤𝐞", "nike"),  # "bold" letters pasted from a font generator
            ("ﬁne", "fine"),  # ligature
            ("São Paulo", "sao paulo"),
            ("M&M’s", "m&m's"),  # a phone's apostrophe
        ],
    )
    def test_folds_case_accents_and_compatibility_forms(self, text: str, expected: str) -> None:
        assert normalize(text) == expected

    def test_keeps_marks_that_change_a_word_outside_latin_scripts(self) -> None:
        # The kana voicing mark makes another syllable: ガ is not カ.
        assert normalize("ガム") == "ガム"
        assert normalize("한국어") == "한국어"  # Hangul comes back composed


class TestWordBoundaries:
    matcher = Matcher([Term("Nike", "keyword")])

    @pytest.mark.parametrize(
        "text",
        [
            "snikers are my favourite",
            "nikefan here",
            "follow @nikefan",
            "#nikefan forever",
            "nike_official",
            "nike2024 drop",
            "write to mail@nike",
            "see nike.com",
            "ping @nike",  # an @ names an account: only handle terms match it
        ],
    )
    def test_never_inside_another_name(self, text: str) -> None:
        assert found(self.matcher, text) == []

    @pytest.mark.parametrize(
        "text",
        [
            "Nike",
            "new NIKE shoes",
            "(nike)",
            "nike's new line",
            "nike-sponsored run",
            "love nike.",
            "nike!!!",
            "#nike",
            "#Nike #run",
            "😍nike😍",
        ],
    )
    def test_as_a_word_or_a_hashtag(self, text: str) -> None:
        assert found(self.matcher, text) == ["Nike"]


class TestHandles:
    def test_with_or_without_its_at(self) -> None:
        for written in ("@BlueBottle", "BlueBottle"):
            matcher = Matcher([Term(written, "handle")])
            assert found(matcher, "thanks @bluebottle!") == [written]
            assert found(matcher, "#BlueBottle all day") == [written]
            assert found(matcher, "bluebottle is open") == [written]

    def test_not_a_longer_handle_an_address_or_a_dotted_handle(self) -> None:
        matcher = Matcher([Term("@nike", "handle")])
        for text in ("@nikefan", "@nike_running", "me@nike", "@nike.running", "@@nike"):
            assert found(matcher, text) == []

    def test_a_dotted_handle_matches_only_after_its_at(self) -> None:
        matcher = Matcher([Term("@blue.bottle", "handle")])
        assert found(matcher, "by @blue.bottle.") == ["@blue.bottle"]
        assert found(matcher, "blue.bottle") == []
        assert found(matcher, "#bluebottle") == []


class TestMultiWordAndPunctuation:
    def test_any_whitespace_between_words_and_the_hashtag_without_spaces(self) -> None:
        matcher = Matcher([Term("Blue Bottle", "keyword")])
        for text in ("Blue Bottle", "blue  bottle", "BLUE\nBOTTLE coffee", "#bluebottle"):
            assert found(matcher, text) == ["Blue Bottle"]
        for text in ("bluebottle", "blue-bottle", "blue bottles", "#blue bottle", "#bluebottles"):
            assert found(matcher, text) == []

    @pytest.mark.parametrize(
        ("term", "text"),
        [
            ("Dr. Pepper", "a cold dr. pepper"),
            ("Dr. Pepper", "#DrPepper"),
            ("M&M's", "a bag of m&m's"),
            ("M&M's", "M&M’s"),
            ("brand.co", "order at brand.co today"),
            ("C++", "written in C++, of course"),
        ],
    )
    def test_punctuation_is_literal(self, term: str, text: str) -> None:
        assert found(Matcher([Term(term, "product")]), text) == [term]

    @pytest.mark.parametrize(
        ("term", "text"),
        [("Dr. Pepper", "dr pepper"), ("Dr. Pepper", "drx pepper"), ("brand.co", "brandxco")],
    )
    def test_punctuation_is_not_a_wildcard(self, term: str, text: str) -> None:
        assert found(Matcher([Term(term, "product")]), text) == []


class TestCaseAndAccents:
    def test_both_ways(self) -> None:
        matcher = Matcher([Term("Café Olé", "keyword"), Term("nestle", "competitor")])
        assert found(matcher, "CAFE OLE is back") == ["Café Olé"]
        assert found(matcher, "#CaféOlé") == ["Café Olé"]
        assert found(matcher, "Nestlé again") == ["nestle"]

    def test_non_latin_terms_between_delimiters(self) -> None:
        matcher = Matcher([Term("ナイキ", "keyword"), Term("Кофе", "keyword")])
        assert found(matcher, "新しい ナイキ!") == ["ナイキ"]
        assert found(matcher, "#ナイキ") == ["ナイキ"]
        assert found(matcher, "лучший КОФЕ") == ["Кофе"]
        # The documented limit: a term followed by a particle has no word boundary.
        assert found(matcher, "ナイキの靴") == []


class TestOverlaps:
    def test_every_term_a_text_contains(self) -> None:
        matcher = Matcher([Term("Bottle", "product"), Term("Blue Bottle", "keyword")])
        assert found(matcher, "I love Blue Bottle") == ["Bottle", "Blue Bottle"]
        assert found(matcher, "a glass bottle") == ["Bottle"]

    def test_terms_starting_at_the_same_place(self) -> None:
        matcher = Matcher([Term("Blue", "keyword"), Term("Blue Bottle Coffee", "keyword")])
        assert found(matcher, "blue bottle coffee") == ["Blue", "Blue Bottle Coffee"]
        assert found(matcher, "blue bottle") == ["Blue"]


class TestMatches:
    def test_kinds_are_kept_apart(self) -> None:
        matcher = Matcher(
            [
                Term("@sway", "handle"),
                Term("Sway Cola", "product"),
                Term("Rival", "competitor"),
                Term("@rivalhq", "handle"),
            ]
        )
        assert matcher.find("@sway beats #rival, sway cola > rival cola") == [
            Match("@sway", "handle"),
            Match("Sway Cola", "product"),
            Match("Rival", "competitor"),
        ]

    def test_each_term_once_in_the_order_given(self) -> None:
        matcher = Matcher([Term("Rival", "competitor"), Term("Nike", "keyword")])
        assert found(matcher, "nike nike #nike rival NIKE") == ["Rival", "Nike"]

    def test_repeats_and_blank_terms_are_ignored(self) -> None:
        matcher = Matcher(
            [
                Term("Nike", "keyword"),
                Term("nike", "keyword"),
                Term("NIKÉ", "keyword"),
                Term("Nike", "competitor"),
                Term("", "keyword"),
                Term("   ", "product"),
                Term("@", "handle"),
            ]
        )
        assert matcher.find("nike") == [Match("Nike", "keyword")]

    def test_same_word_under_two_kinds(self) -> None:
        matcher = Matcher([Term("nike", "handle"), Term("Nike", "keyword")])
        assert matcher.find("#nike") == [Match("nike", "handle"), Match("Nike", "keyword")]
        assert matcher.find("@nike") == [Match("nike", "handle")]

    def test_no_terms_or_no_text(self) -> None:
        empty = Matcher([Term(" ", "keyword")])
        assert not empty
        assert empty.find("anything") == []
        assert Matcher([Term("a", "keyword")])
        assert Matcher([Term("a", "keyword")]).find(None) == []
        assert Matcher([Term("a", "keyword")]).find("") == []

    def test_an_unknown_kind_is_refused(self) -> None:
        with pytest.raises(ValueError):
            Term("Nike", "brand")

    def test_terms_are_not_patterns(self) -> None:
        matcher = Matcher([Term("a.*b", "keyword"), Term("(x|y)", "keyword")])
        assert found(matcher, "a big b and x") == []
        assert found(matcher, "look: a.*b and (x|y)") == ["a.*b", "(x|y)"]
