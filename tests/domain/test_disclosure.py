"""The disclosure rule of docs/metrics.md, one table per rule. Each row: caption, platform, brand
terms, and the expected (compliant, found, reason)."""

import pytest

from shared.domain.post.disclosure import check

FILLER_120 = "x" * 120  # 120 characters of caption before the term under test

CLEAR_TERMS = [
    ("#ad New mug", ["#ad"]),
    ("#Sponsored New mug", ["#sponsored"]),
    ("#PaidPartnership New mug", ["#paidpartnership"]),
    ("Paid partnership with Acme", ["paid partnership"]),
    ("Sponsored by Acme: new mug", ["sponsored"]),
    ("Ad | my new mug", ["ad"]),
    ("[ad] my new mug", ["ad"]),
    ("Advertisement: my new mug", ["advertisement"]),
    ("#AcmePartner new mug", ["#acmepartner"]),
    ("#acme_ambassador new mug", ["#acme_ambassador"]),
    ("Proud Acme partner!", ["acme partner"]),
    # Germany (Landesmedienanstalten) and France (loi n° 2023-451).
    ("#Werbung neue Tasse", ["#werbung"]),
    ("Anzeige: neue Tasse", ["anzeige"]),
    ("Bezahlte Werbepartnerschaft mit Acme", ["bezahlte werbepartnerschaft"]),
    ("#publicité nouvelle tasse", ["#publicité"]),
    ("Collaboration commerciale avec Acme", ["collaboration commerciale"]),
]

NOT_CLEAR = [
    ("Loving it #sp", ["#sp"], "shorthand_only"),
    ("Loving it #spon", ["#spon"], "shorthand_only"),
    ("Loving it #collab", ["#collab"], "shorthand_only"),
    ("Loving it #thanks", ["#thanks"], "shorthand_only"),
    ("Loving it #ThanksAcme", ["#thanksacme"], "shorthand_only"),
    ("Thanks @acme for the mug", ["thanks acme"], "shorthand_only"),
    # Stand-alone roles: whose partner?
    ("Loving it #ambassador", ["#ambassador"], "shorthand_only"),
    ("Loving it #partner", ["#partner"], "shorthand_only"),
    # A role of another brand than the campaign's.
    ("#OtherBrandPartner new mug", [], "missing"),
    ("Just my morning cup #coffee", [], "missing"),
    ("", [], "missing"),
    # "ad" inside a sentence is not a label.
    ("I saw an ad for this mug", [], "missing"),
]


class TestClearTerms:
    @pytest.mark.parametrize(("caption", "found"), CLEAR_TERMS)
    def test_pass(self, caption, found):
        result = check(caption, platform="instagram", required=True, brand_terms=["acme"])
        assert result == {"required": True, "compliant": True, "found": found, "reason": None}

    def test_campaign_mention_is_a_brand(self):
        result = check(
            "@Acme.Coffee partner", platform="instagram", required=True, brand_terms=["acme.coffee"]
        )
        assert (result["compliant"], result["found"]) == (True, ["acme.coffee partner"])


class TestShorthandAndMissing:
    @pytest.mark.parametrize(("caption", "found", "reason"), NOT_CLEAR)
    def test_fail(self, caption, found, reason):
        result = check(caption, platform="instagram", required=True, brand_terms=["acme"])
        assert result == {"required": True, "compliant": False, "found": found, "reason": reason}

    def test_no_caption_is_missing(self):
        assert check(None, platform="instagram", required=True)["reason"] == "missing"

    def test_clear_term_beats_shorthand(self):
        result = check("#sp #ad new mug", platform="instagram", required=True)
        assert result == {
            "required": True,
            "compliant": True,
            "found": ["#sp", "#ad"],
            "reason": None,
        }


# The fold: Instagram 125 characters / 2 lines, TikTok 80 / 2, YouTube 100 / 3, X none.
FOLD = [
    # "#ad" at 120..123 ends at 123 <= 125: visible on Instagram.
    ("instagram", FILLER_120 + "#ad", True, None),
    # At 122..125: its last character is character 125, still visible.
    ("instagram", FILLER_120 + "xx#ad", True, None),
    # At 123..126: cut by the fold.
    ("instagram", FILLER_120 + "xxx#ad", False, "after_fold"),
    # Third line on Instagram (two lines show), although only 6 characters in.
    ("instagram", "a\nb\n#ad", False, "after_fold"),
    # Second line: shown.
    ("instagram", "a\n#ad", True, None),
    # TikTok shows 80 characters: "#ad" at 78..81 is cut, at 77..80 shown.
    ("tiktok", "x" * 78 + "#ad", False, "after_fold"),
    ("tiktok", "x" * 77 + "#ad", True, None),
    # YouTube: 100 characters and three lines.
    ("youtube", "x" * 98 + "#ad", False, "after_fold"),
    ("youtube", "x" * 97 + "#ad", True, None),
    ("youtube", "a\nb\n#ad", True, None),
    ("youtube", "a\nb\nc\n#ad", False, "after_fold"),
    # X shows the whole post.
    ("x", "x" * 270 + " #ad", True, None),
    # A platform without a measured fold gets Instagram's.
    ("facebook", FILLER_120 + "xxx#ad", False, "after_fold"),
]


class TestFold:
    @pytest.mark.parametrize(("platform", "caption", "compliant", "reason"), FOLD)
    def test_fold(self, platform, caption, compliant, reason):
        result = check(caption, platform=platform, required=True)
        assert (result["compliant"], result["found"], result["reason"]) == (
            compliant,
            ["#ad"],
            reason,
        )

    def test_one_visible_term_is_enough(self):
        result = check("Sponsored " + FILLER_120 + " #ad", platform="instagram", required=True)
        assert (result["compliant"], result["found"]) == (True, ["sponsored", "#ad"])


# Runs: hashtags with only whitespace between; in a run of 4 or more only the first 2 count.
BURIED = [
    ("#coffee #mug #morning #ad", False, "buried_in_hashtags"),  # 4th of 4
    ("#coffee #mug #ad #morning", False, "buried_in_hashtags"),  # 3rd of 4
    ("#coffee #ad #mug #morning", True, None),  # 2nd of 4
    ("#ad #coffee #mug #morning", True, None),  # 1st of 4 (the very start)
    ("#coffee #mug #ad", True, None),  # a run of 3 is not a blizzard
    ("#coffee\n#mug\n#morning\n#ad", False, "after_fold"),  # 4th line: past the fold first
    ("#coffee #mug #morning, #ad", True, None),  # the comma ends the run: "#ad" is its own
    ("New mug #coffee #mug #morning #ad #love", False, "buried_in_hashtags"),
]


class TestBuriedInHashtags:
    @pytest.mark.parametrize(("caption", "compliant", "reason"), BURIED)
    def test_runs(self, caption, compliant, reason):
        result = check(caption, platform="instagram", required=True)
        assert (result["compliant"], result["reason"]) == (compliant, reason)
        assert "#ad" in result["found"]

    def test_buried_before_fold_beats_after_fold(self):
        caption = "#a #b #c #ad " + FILLER_120 + " Sponsored"
        result = check(caption, platform="instagram", required=True)
        assert (result["compliant"], result["reason"]) == (False, "buried_in_hashtags")


class TestRequiredAndPlatformFlag:
    def test_not_required(self):
        assert check("#ad", platform="instagram", required=False) == {
            "required": False,
            "compliant": None,
            "found": ["#ad"],
            "reason": "not_required",
        }

    def test_platform_label_passes_without_caption_terms(self):
        result = check("New mug", platform="youtube", required=True, platform_flag=True)
        assert result == {
            "required": True,
            "compliant": True,
            "found": ["platform_label"],
            "reason": None,
        }

    @pytest.mark.parametrize("flag", [False, None])
    def test_no_platform_label_leaves_the_caption_to_decide(self, flag):
        result = check("New mug #sp", platform="youtube", required=True, platform_flag=flag)
        assert (result["compliant"], result["reason"]) == (False, "shorthand_only")
