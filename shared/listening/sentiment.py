"""The language and sentiment of a caption or comment (docs/listening.md, "Sentiment").

The language comes first, from lingua (lingua-language-detector: a Rust core, the most
accurate maintained detector on short texts), restricted to `LANGUAGES`. With every language
it cost 28 s and 1.4 GB to build and 1.6 ms a text; with these 17 its models load in under 2 s
on first use and a 200-character comment takes about 0.35 ms in high-accuracy mode.
Low-accuracy mode is twice as fast but called "This is the worst coffee I've ever had" Dutch,
and py3langid (three times as fast) called "ok", "lol" and "meh" Afrikaans, Sesotho and
Sesotho: sentiment read in the wrong language is worse than a slower read.

English is then scored by VADER (vaderSentiment, its authors' reference implementation, built
for social media: slang, caps, "!!!", negation, boosters and emoji), whose compound score maps
to a label at the standard ±`THRESHOLD`. Any other language is `unanalysed`: VADER's lexicon is
English, and a Spanish "no está mal" scored word by word reads as negative.

Three rules around the detector:
- A short text (at most `SHORT_WORDS` words) all of whose words VADER's lexicon or a small list
  of English function words knows is English ("ok", "lol", "omg yes", "not bad"): every
  detector guesses wildly on so little text. A short text with any other word ("muy bueno")
  still goes to the detector: calling every short ASCII text English would score Spanish.
- A text with no letters but emoji or emoticons VADER knows ("😍🔥", ":)") is analysed, with no
  language: VADER reads emoji through its English descriptions, the same for every language.
- @handles and links say nothing of either, so both are set aside first; a hashtag's word stays.
"""

import re
from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum
from functools import cache

from lingua import Language, LanguageDetector, LanguageDetectorBuilder
from vaderSentiment.vaderSentiment import BOOSTER_DICT, NEGATE, SentimentIntensityAnalyzer


class Sentiment(StrEnum):
    positive = "positive"
    neutral = "neutral"
    negative = "negative"
    unanalysed = "unanalysed"


@dataclass(frozen=True, slots=True)
class Analysis:
    language: str | None  # ISO 639-1, lower case; None when no language could be told
    sentiment: str  # a Sentiment
    score: float | None  # VADER's compound, -1..1, where the text was analysed


# VADER's authors' thresholds on the compound score: at or above +THRESHOLD positive, at or
# below -THRESHOLD negative, neutral between.
THRESHOLD = 0.05
SUPPORTED = frozenset({"en"})
SHORT_WORDS = 3

# The languages most of the world's social comments are written in. Each one more costs memory
# and time on every text, and a language left out comes back as its nearest neighbour here,
# never as English unless it is close to English.
LANGUAGES = (
    Language.ENGLISH,
    Language.SPANISH,
    Language.PORTUGUESE,
    Language.FRENCH,
    Language.GERMAN,
    Language.ITALIAN,
    Language.DUTCH,
    Language.POLISH,
    Language.TURKISH,
    Language.RUSSIAN,
    Language.JAPANESE,
    Language.KOREAN,
    Language.CHINESE,
    Language.ARABIC,
    Language.HINDI,
    Language.INDONESIAN,
    Language.SWEDISH,
)

# Emoji whose VADER description scores wrong or not at all for how comments use them: "fire"
# is negative and "broken heart" positive in its lexicon, "thumbs up" and "clapping hands" are
# nothing. Valences on VADER's -4..4 scale, as its lexicon's human raters would put them.
EMOJI_VALENCE = {
    "🔥": 2.0,
    "👍": 1.8,
    "👏": 1.5,
    "🙌": 1.5,
    "💯": 1.8,
    "🤩": 2.5,
    "👎": -1.8,
    "💔": -2.0,
    "😡": -2.5,
    "🤬": -3.0,
    "🤮": -2.5,
    "🤢": -2.0,
    "🙄": -1.2,
    "😒": -1.5,
    "💩": -1.5,
}

# Words that carry no sentiment, so VADER's lexicon lacks them, but that short English
# comments are made of.
ENGLISH_WORDS = frozenset(
    {
        *("i", "i'm", "im", "me", "my", "you", "your", "u", "ur", "we", "it", "it's", "its"),
        *("this", "that", "the", "a", "an", "is", "was", "are", "be", "so", "very", "too"),
        *("just", "really", "and", "or", "of", "to", "for", "in", "on", "at", "with"),
        *("omg", "tho", "pls", "plz", "yeah", "yep", "ya", "thx", "ty"),
    }
)

_SET_ASIDE = re.compile(r"https?://\S+|www\.\S+|(?<!\w)@[\w.]+")
_WORD = re.compile(r"[^\W\d_]+(?:['’][^\W\d_]+)*")
# VADER looks emoji up one code point at a time: a variation selector or skin tone after one
# would glue itself to its description ("red heart\ufe0f" is no word), and a joiner would
# glue two descriptions together.
_EMOJI_MODIFIERS = re.compile("[\ufe0e\ufe0f\U0001f3fb-\U0001f3ff]")


@cache
def _detector() -> LanguageDetector:
    # Models load on first use, one language at a time as texts need them.
    return LanguageDetectorBuilder.from_languages(*LANGUAGES).build()


_EMOJI_WORDS = {emoji: f"emoji{ord(emoji):x}" for emoji in EMOJI_VALENCE}


class _Analyser(SentimentIntensityAnalyzer):
    """VADER, reading `EMOJI_VALENCE`'s emoji as one word each that nothing before it turns:
    VADER's negation reaches three words back across full stops, so "Didn't like it. 🤮" would
    read the vomiting face as praise."""

    def __init__(self) -> None:
        super().__init__()
        for emoji, word in _EMOJI_WORDS.items():
            self.emojis[emoji] = word
            self.lexicon[word] = EMOJI_VALENCE[emoji]
        self._emoji_words = frozenset(_EMOJI_WORDS.values())

    def sentiment_valence(self, valence, sentitext, item, i, sentiments):
        if item in self._emoji_words:
            sentiments.append(self.lexicon[item])
            return sentiments
        return super().sentiment_valence(valence, sentitext, item, i, sentiments)


@cache
def _analyser() -> SentimentIntensityAnalyzer:
    return _Analyser()


@cache
def _known_words() -> frozenset[str]:
    return frozenset(_analyser().lexicon) | ENGLISH_WORDS | set(NEGATE) | set(BOOSTER_DICT)


def _cleaned(text: str) -> str:
    text = _SET_ASIDE.sub(" ", text).replace("#", " ")
    return _EMOJI_MODIFIERS.sub("", text).replace("\u200d", " ").strip()


def _knows_signs(text: str) -> bool:
    """Whether a text without letters holds an emoji or emoticon VADER scores."""
    analyser = _analyser()
    return any(char in analyser.emojis for char in text) or any(
        token in analyser.lexicon for token in text.split()
    )


def _is_short_english(words: list[str]) -> bool:
    known = _known_words()
    return len(words) <= SHORT_WORDS and all(
        word.lower().replace("’", "'") in known for word in words
    )


def _scored(text: str, language: str | None) -> Analysis:
    compound = _analyser().polarity_scores(text)["compound"]
    if compound >= THRESHOLD:
        label = Sentiment.positive
    elif compound <= -THRESHOLD:
        label = Sentiment.negative
    else:
        label = Sentiment.neutral
    return Analysis(language, label, compound)


def _language(detected: Language | None) -> str | None:
    return detected.iso_code_639_1.name.lower() if detected is not None else None


def _without_detector(text: str) -> Analysis | None:
    """The answer for texts the detector is not asked about; None for the others."""
    if not text:
        return Analysis(None, Sentiment.unanalysed, None)
    words = _WORD.findall(text)
    if not words:
        if _knows_signs(text):
            return _scored(text, None)
        return Analysis(None, Sentiment.unanalysed, None)
    if _is_short_english(words):
        return _scored(text, "en")
    return None


def _with_language(text: str, language: str | None) -> Analysis:
    if language in SUPPORTED:
        return _scored(text, language)
    return Analysis(language, Sentiment.unanalysed, None)


def analyse(text: str) -> Analysis:
    cleaned = _cleaned(text or "")
    known = _without_detector(cleaned)
    if known is not None:
        return known
    return _with_language(cleaned, _language(_detector().detect_language_of(cleaned)))


def analyse_many(texts: Sequence[str]) -> list[Analysis]:
    """`analyse` of each text, in order, with the detector asked about all of them at once: it
    spreads them over every core (lingua's own threads). VADER still runs on this one."""
    cleaned = [_cleaned(text or "") for text in texts]
    known = [_without_detector(text) for text in cleaned]
    asked = [text for text, answer in zip(cleaned, known, strict=True) if answer is None]
    detected = iter(_detector().detect_languages_in_parallel_of(asked))
    return [
        answer or _with_language(text, _language(next(detected)))
        for text, answer in zip(cleaned, known, strict=True)
    ]
