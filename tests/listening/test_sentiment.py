import json
from pathlib import Path

import pytest

from shared.listening.sentiment import (
    SUPPORTED,
    THRESHOLD,
    Analysis,
    Sentiment,
    analyse,
    analyse_many,
)

FIXTURES = Path(__file__).resolve().parent.parent / "fixtures" / "listening"
LABELLED = json.loads((FIXTURES / "labelled_en.json").read_text())
OTHERS = json.loads((FIXTURES / "other_languages.json").read_text())


def texts(cases: list[dict]) -> list[str]:
    return [case["text"] for case in cases]


class TestLabelledEnglish:
    @pytest.mark.parametrize("case", LABELLED["cases"], ids=texts(LABELLED["cases"]))
    def test_agrees_with_the_hand_label(self, case: dict) -> None:
        analysis = analyse(case["text"])
        assert analysis.sentiment == case["label"]
        # Emoji alone have no language; everything else here is English.
        assert analysis.language == ("en" if any(c.isalpha() for c in case["text"]) else None)

    @pytest.mark.parametrize("case", LABELLED["misses"], ids=texts(LABELLED["misses"]))
    def test_known_misses_keep_vaders_answer(self, case: dict) -> None:
        analysis = analyse(case["text"])
        assert analysis.sentiment == case["vader"] != case["label"]
        assert analysis.language == case["language"]

    @pytest.mark.parametrize("case", LABELLED["sarcasm"], ids=texts(LABELLED["sarcasm"]))
    def test_sarcasm_reads_as_what_it_says(self, case: dict) -> None:
        assert analyse(case["text"]).sentiment == case["vader"] != case["meant"]

    def test_accuracy(self) -> None:
        every = LABELLED["cases"] + LABELLED["misses"]
        right = sum(analyse(case["text"]).sentiment == case["label"] for case in every)
        assert len(every) >= 40
        assert right / len(every) == pytest.approx(0.8, abs=0.005)  # 36 of 45, sarcasm aside


class TestOtherLanguages:
    @pytest.mark.parametrize("case", OTHERS["cases"], ids=texts(OTHERS["cases"]))
    def test_unanalysed_with_their_language(self, case: dict) -> None:
        assert analyse(case["text"]) == Analysis(case["language"], Sentiment.unanalysed, None)

    @pytest.mark.parametrize("case", OTHERS["confusions"], ids=texts(OTHERS["confusions"]))
    def test_a_neighbour_language_is_still_unanalysed(self, case: dict) -> None:
        assert analyse(case["text"]) == Analysis(case["detected"], Sentiment.unanalysed, None)

    def test_the_set_covers_the_common_languages(self) -> None:
        languages = {case["language"] for case in OTHERS["cases"]}
        assert len(OTHERS["cases"]) >= 20
        assert {"es", "de", "fr", "pt", "it"} <= languages
        assert not languages & SUPPORTED


class TestShortTexts:
    @pytest.mark.parametrize(
        "text", ["ok", "lol", "great!!", "omg yes", "meh", "not bad", "yay", "it’s so good"]
    )
    def test_known_english_words_are_english(self, text: str) -> None:
        analysis = analyse(text)
        assert analysis.language == "en"
        assert analysis.sentiment != Sentiment.unanalysed

    @pytest.mark.parametrize(
        ("text", "language"),
        [("muy bueno", "es"), ("sehr gut", "de"), ("trop bien", "fr"), ("mi piace", "it")],
    )
    def test_a_foreign_word_goes_to_the_detector(self, text: str, language: str) -> None:
        # Short and plain ASCII, yet not English: never scored by the English lexicon.
        assert analyse(text) == Analysis(language, Sentiment.unanalysed, None)

    def test_more_than_three_known_words_go_to_the_detector(self) -> None:
        # Four lexicon words: the detector decides, and it says English.
        assert analyse("love love love it").language == "en"


class TestEmoji:
    @pytest.mark.parametrize(
        ("text", "label"),
        [
            ("😍🔥", Sentiment.positive),
            ("❤️", Sentiment.positive),  # with its variation selector
            ("👍🏽", Sentiment.positive),  # with a skin tone
            ("😡😡", Sentiment.negative),
            ("💔", Sentiment.negative),
            (":)", Sentiment.positive),
        ],
    )
    def test_emoji_alone_are_analysed_without_a_language(self, text: str, label: str) -> None:
        analysis = analyse(text)
        assert analysis.language is None
        assert analysis.sentiment == label

    def test_emoji_move_an_english_score(self) -> None:
        plain = analyse("The new flavour")
        assert plain.sentiment == Sentiment.neutral
        assert analyse("The new flavour 😍").score > THRESHOLD
        assert analyse("The new flavour 🤮").score < -THRESHOLD

    def test_a_negation_does_not_turn_an_emoji(self) -> None:
        # VADER's negation reaches three words back: "not" would make the thumbs down praise.
        assert analyse("not worth it 👎").sentiment == Sentiment.negative
        assert analyse("Never buying again 😡").sentiment == Sentiment.negative

    def test_emoji_in_another_language_stay_unanalysed(self) -> None:
        assert analyse("Leider kaputt angekommen, sehr enttäuscht 😞").sentiment == "unanalysed"


class TestNothingToRead:
    @pytest.mark.parametrize("text", ["", "   ", "!!!", "123", "@nike", "https://sway.example/p/1"])
    def test_unanalysed_without_a_language(self, text: str) -> None:
        assert analyse(text) == Analysis(None, Sentiment.unanalysed, None)

    def test_handles_and_links_are_set_aside(self) -> None:
        assert analyse("@terrible_name https://bad.example love it") == analyse("love it")


class TestLabels:
    def test_thresholds(self) -> None:
        for text in texts(LABELLED["cases"]):
            analysis = analyse(text)
            if analysis.sentiment == Sentiment.positive:
                assert analysis.score >= THRESHOLD
            elif analysis.sentiment == Sentiment.negative:
                assert analysis.score <= -THRESHOLD
            else:
                assert -THRESHOLD < analysis.score < THRESHOLD

    def test_caps_and_boosters_strengthen(self) -> None:
        assert analyse("this is good").score < analyse("this is really good").score
        assert analyse("this is good").score < analyse("this is GOOD!!!").score


class TestAnalyseMany:
    def test_same_answers_in_order(self) -> None:
        every = texts(LABELLED["cases"] + LABELLED["misses"] + OTHERS["cases"]) + ["", "😍"]
        assert analyse_many(every) == [analyse(text) for text in every]

    def test_empty(self) -> None:
        assert analyse_many([]) == []
