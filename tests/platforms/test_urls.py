# ruff: noqa: E501  (one case per line keeps these tables readable; real URLs are long)

import pytest

from shared.platforms.base import Platform
from shared.platforms.urls import (
    ParsedPost,
    ParsedProfile,
    UnrecognizedURL,
    parse_post_url,
    parse_profile_url,
)

IG, FB, YT, TT, X, LI, PIN, DEMO = (
    Platform.instagram,
    Platform.facebook,
    Platform.youtube,
    Platform.tiktok,
    Platform.x,
    Platform.linkedin,
    Platform.pinterest,
    Platform.demo,
)
VIDEO = "dQw4w9WgXcQ"
TWEET = "1364275610764201984"
TT_VIDEO = "7390001112223334445"
PIN_ID = "1022106077905927852"
URN = "urn:li:activity:7212345678901234567"

POSTS = [
    # Instagram: the id is the URL's shortcode.
    ("https://www.instagram.com/p/C8xYzAbCdEf/", IG, "C8xYzAbCdEf", None, "post"),
    ("instagram.com/p/C8xYzAbCdEf", IG, "C8xYzAbCdEf", None, "post"),
    ("http://instagram.com/p/C8xYzAbCdEf/?utm_source=ig_web_copy_link&igsh=MXQ", IG, "C8xYzAbCdEf", None, "post"),
    ("HTTPS://WWW.INSTAGRAM.COM/p/C8xYzAbCdEf/", IG, "C8xYzAbCdEf", None, "post"),
    ("https://m.instagram.com/p/C8x-Yz_AbCd/#comments", IG, "C8x-Yz_AbCd", None, "post"),
    ("https://www.instagram.com/reel/C8xYzAbCdEf/", IG, "C8xYzAbCdEf", None, "reel"),
    ("https://www.instagram.com/reels/C8xYzAbCdEf/", IG, "C8xYzAbCdEf", None, "reel"),
    ("https://www.instagram.com/tv/B8xYzAbCdEf/", IG, "B8xYzAbCdEf", None, "video"),
    ("https://www.instagram.com/acme.coffee/p/C8xYzAbCdEf/", IG, "C8xYzAbCdEf", "acme.coffee", "post"),
    ("https://www.instagram.com/acme_coffee/reel/C8xYzAbCdEf/", IG, "C8xYzAbCdEf", "acme_coffee", "reel"),
    ("https://instagr.am/p/C8xYzAbCdEf/", IG, "C8xYzAbCdEf", None, "post"),
    # Facebook: the post's own id; the page when the URL names it.
    ("https://www.facebook.com/acme/posts/10158347294088553", FB, "10158347294088553", "acme", "post"),
    ("https://www.facebook.com/20531316728/posts/10158347294088553/", FB, "10158347294088553", "20531316728", "post"),
    ("https://www.facebook.com/acme/posts/pfbid02Zx9kLm3N4", FB, "pfbid02Zx9kLm3N4", "acme", "post"),
    ("https://www.facebook.com/permalink.php?story_fbid=10158347294088553&id=20531316728", FB, "10158347294088553", "20531316728", "post"),
    ("https://m.facebook.com/story.php?story_fbid=pfbid0abc123&id=20531316728", FB, "pfbid0abc123", "20531316728", "post"),
    ("https://www.facebook.com/acme/videos/1234567890123456/", FB, "1234567890123456", "acme", "video"),
    ("https://www.facebook.com/acme/videos/summer-menu/1234567890123456/", FB, "1234567890123456", "acme", "video"),
    ("https://www.facebook.com/acme/photos/a.101/2233445566/", FB, "2233445566", "acme", "post"),
    ("https://www.facebook.com/photo/?fbid=2233445566&set=a.101", FB, "2233445566", None, "post"),
    ("https://www.facebook.com/watch/?v=1234567890123456", FB, "1234567890123456", None, "video"),
    ("https://www.facebook.com/watch/live/?v=1234567890123456", FB, "1234567890123456", None, "live"),
    ("https://web.facebook.com/reel/1234567890123456?s=yWDuG2", FB, "1234567890123456", None, "reel"),
    # YouTube: 11-character video ids, whatever the wrapper.
    (f"https://www.youtube.com/watch?v={VIDEO}", YT, VIDEO, None, "video"),
    (f"youtube.com/watch?v={VIDEO}&t=42s&list=PL123", YT, VIDEO, None, "video"),
    (f"https://m.youtube.com/watch?feature=share&v={VIDEO}", YT, VIDEO, None, "video"),
    (f"https://music.youtube.com/watch?v={VIDEO}&si=abc", YT, VIDEO, None, "video"),
    (f"https://youtu.be/{VIDEO}", YT, VIDEO, None, "video"),
    (f"youtu.be/{VIDEO}?si=Jk2lm&t=10", YT, VIDEO, None, "video"),
    (f"https://www.youtube.com/shorts/{VIDEO}?feature=share", YT, VIDEO, None, "short"),
    (f"https://www.youtube.com/live/{VIDEO}", YT, VIDEO, None, "live"),
    (f"https://www.youtube.com/embed/{VIDEO}?start=3", YT, VIDEO, None, "video"),
    (f"https://www.youtube-nocookie.com/embed/{VIDEO}", YT, VIDEO, None, "video"),
    (f"https://www.youtube.com/v/{VIDEO}", YT, VIDEO, None, "video"),
    (f"https://studio.youtube.com/video/{VIDEO}/analytics/tab-overview", YT, VIDEO, None, "video"),
    ("https://www.youtube.com/watch?v=a-B_c1D2e3F", YT, "a-B_c1D2e3F", None, "video"),
    # TikTok
    (f"https://www.tiktok.com/@acme/video/{TT_VIDEO}", TT, TT_VIDEO, "acme", "video"),
    (f"tiktok.com/@acme.coffee/video/{TT_VIDEO}?is_from_webapp=1&sender_device=pc", TT, TT_VIDEO, "acme.coffee", "video"),
    (f"https://m.tiktok.com/@acme_1/video/{TT_VIDEO}/", TT, TT_VIDEO, "acme_1", "video"),
    (f"https://www.tiktok.com/@acme/photo/{TT_VIDEO}", TT, TT_VIDEO, "acme", "post"),
    (f"https://www.tiktok.com/embed/v2/{TT_VIDEO}", TT, TT_VIDEO, None, "video"),
    (f"https://m.tiktok.com/v/{TT_VIDEO}.html", TT, TT_VIDEO, None, "video"),
    # X
    (f"https://x.com/acme/status/{TWEET}", X, TWEET, "acme", "tweet"),
    (f"x.com/acme/status/{TWEET}?s=20&t=abc", X, TWEET, "acme", "tweet"),
    (f"https://twitter.com/Acme_HQ/status/{TWEET}", X, TWEET, "Acme_HQ", "tweet"),
    (f"https://mobile.twitter.com/acme/status/{TWEET}", X, TWEET, "acme", "tweet"),
    (f"https://twitter.com/acme/statuses/{TWEET}", X, TWEET, "acme", "tweet"),
    (f"https://x.com/acme/status/{TWEET}/photo/1", X, TWEET, "acme", "tweet"),
    (f"https://x.com/i/web/status/{TWEET}", X, TWEET, None, "tweet"),
    (f"https://x.com/i/status/{TWEET}", X, TWEET, None, "tweet"),
    (f"https://fxtwitter.com/acme/status/{TWEET}", X, TWEET, "acme", "tweet"),
    # LinkedIn: always the full URN.
    (f"https://www.linkedin.com/feed/update/{URN}/", LI, URN, None, "post"),
    ("https://www.linkedin.com/feed/update/urn:li:share:7212345678901234567", LI, "urn:li:share:7212345678901234567", None, "post"),
    ("https://www.linkedin.com/feed/update/urn:li:ugcPost:7212345678901234567/?utm_source=share", LI, "urn:li:ugcPost:7212345678901234567", None, "post"),
    ("https://www.linkedin.com/feed/update/urn%3Ali%3Aactivity%3A7212345678901234567/", LI, URN, None, "post"),
    (f"https://www.linkedin.com/embed/feed/update/{URN}", LI, URN, None, "post"),
    ("https://www.linkedin.com/posts/acme-coffee_hiring-baristas-activity-7212345678901234567-AbCd", LI, URN, "acme-coffee", "post"),
    ("https://www.linkedin.com/posts/janedoe_share-7-tips-activity-7212345678901234567-Ab_C?utm_medium=ios_app", LI, URN, "janedoe", "post"),
    ("linkedin.com/posts/acme_launch-ugcPost-7212345678901234567-x1Y2", LI, "urn:li:ugcPost:7212345678901234567", "acme", "post"),
    ("https://www.linkedin.com/posts/acme_launch-share-7212345678901234567-x1Y2/", LI, "urn:li:share:7212345678901234567", "acme", "post"),
    # Pinterest, any country domain.
    (f"https://www.pinterest.com/pin/{PIN_ID}/", PIN, PIN_ID, None, "pin"),
    (f"pinterest.com/pin/{PIN_ID}", PIN, PIN_ID, None, "pin"),
    (f"https://www.pinterest.co.uk/pin/{PIN_ID}/", PIN, PIN_ID, None, "pin"),
    (f"https://pinterest.de/pin/{PIN_ID}/?mt=login", PIN, PIN_ID, None, "pin"),
    (f"https://www.pinterest.com.au/pin/{PIN_ID}/", PIN, PIN_ID, None, "pin"),
    (f"https://br.pinterest.com/pin/{PIN_ID}/", PIN, PIN_ID, None, "pin"),
    (f"https://www.pinterest.com/pin/pour-over-guide--{PIN_ID}/", PIN, PIN_ID, None, "pin"),
    # Demo
    ("https://demo.sway.test/@ada/posts/ada-3", DEMO, "ada-3", "ada", "post"),
    ("demo.sway.test/@ada.lovelace/posts/ada.lovelace-12/", DEMO, "ada.lovelace-12", "ada.lovelace", "post"),
]  # fmt: skip

POST_REFUSALS = [
    ("", "empty URL"),
    ("   ", "empty URL"),
    ("not a url", "not a valid URL"),
    ("ftp://x.com/acme/status/1", "not a web link"),
    ("https://example.com/p/C8xYzAbCdEf/", "not a URL of a supported platform: example.com"),
    ("https://www.example.com/watch?v=dQw4w9WgXcQ", "not a URL of a supported platform: example.com"),
    ("https://threads.net/@acme/post/C8xYzAbCdEf", "not a URL of a supported platform: threads.net"),
    # Short links only resolve over the network.
    ("https://vm.tiktok.com/ZMhvqKx3E/", "tiktok: vm.tiktok.com short links need a network lookup to resolve; paste the full https://www.tiktok.com/@user/video/<id> URL"),
    ("https://vt.tiktok.com/ZSabc/", "vt.tiktok.com short links need a network lookup"),
    ("https://www.tiktok.com/t/ZTRabc123/", "tiktok.com/t/ short links need a network lookup"),
    ("https://fb.watch/abc123/", "facebook: fb.watch short links need a network lookup"),
    ("https://www.facebook.com/share/p/1AbCdEf/", "facebook.com/share/ short links need a network lookup"),
    ("https://www.instagram.com/share/reel/BAxYz12/", "instagram: instagram.com/share/ short links need a network lookup to resolve; paste the full https://www.instagram.com/p/<shortcode>/ URL"),
    ("https://pin.it/1a2b3c", "pinterest: pin.it short links need a network lookup"),
    ("https://lnkd.in/gAbC123", "linkedin: lnkd.in short links need a network lookup"),
    ("https://t.co/AbC123", "x: t.co short links need a network lookup"),
    # Profiles are not posts.
    ("https://www.instagram.com/acme.coffee/", "instagram: this is a profile URL, not a post"),
    ("https://www.instagram.com/acme.coffee/reels/", "instagram: this is a profile URL, not a post"),
    ("https://x.com/acme", "x: this is a profile URL, not a post"),
    ("https://www.youtube.com/@acme", "youtube: this is a profile URL, not a post"),
    ("https://www.tiktok.com/@acme", "tiktok: this is a profile URL, not a post"),
    ("https://www.linkedin.com/company/acme/posts/", "linkedin: this is a profile URL, not a post"),
    ("https://demo.sway.test/@ada", "demo: this is a profile URL, not a post"),
    # Missing or malformed ids.
    ("https://www.youtube.com/watch", "youtube: no video id in URL"),
    ("https://www.youtube.com/watch?v=", "youtube: no video id in URL"),
    ("https://youtu.be/", "youtube: no video id in URL"),
    ("https://www.youtube.com/feed/trending", "youtube: no video id in URL"),
    ("https://www.youtube.com/watch?v=short", "youtube: 'short' is not a video id"),
    ("https://youtu.be/dQw4w9WgXcQxyz", "is not a video id (11 letters"),
    ("https://www.youtube.com/playlist?list=PL123", "youtube: this is a playlist, not a video"),
    ("https://www.youtube.com/embed/videoseries?list=PL123", "youtube: this is a playlist"),
    ("https://www.instagram.com/p/", "instagram: no post shortcode in URL"),
    ("https://www.instagram.com/p/a!b/", "instagram: 'a!b' is not a post shortcode"),
    ("https://www.instagram.com/explore/", "instagram: no post shortcode in URL"),
    ("https://www.instagram.com/stories/acme/3141592653589793238/", "instagram: stories expire after 24 hours"),
    ("https://www.tiktok.com/@acme/video/abc", "tiktok: 'abc' is not a video id"),
    ("https://www.tiktok.com/@acme/live", "tiktok: no video id in URL"),
    ("https://x.com/acme/status/abc", "x: 'abc' is not a post id"),
    ("https://x.com/home", "x: no post id in URL (expected x.com/<user>/status/<id>)"),
    ("https://www.facebook.com/groups/123/posts/456/", "facebook: group posts cannot be read"),
    ("https://www.facebook.com/watch/?v=", "facebook: no post id in URL"),
    ("https://www.facebook.com/acme/posts/", "facebook: this is a profile URL, not a post"),
    ("https://www.linkedin.com/feed/update/urn:li:groupPost:123-456/", "linkedin: 'urn:li:groupPost:123-456' is not a post URN"),
    ("https://www.linkedin.com/pulse/how-we-roast-jane-doe/", "linkedin: articles (/pulse/) have no statistics API"),
    ("https://www.linkedin.com/feed/", "linkedin: no post id in URL"),
    ("https://www.pinterest.com/pin/create/button/", "pinterest: 'create' is not a pin id"),
    ("https://www.pinterest.com/search/pins/?q=coffee", "pinterest: no pin id in URL"),
    ("https://demo.sway.test/ada/posts/ada-3", "demo: no post id in URL"),
]  # fmt: skip

PROFILES = [
    ("https://www.instagram.com/acme.coffee/", ParsedProfile(IG, "acme.coffee")),
    ("instagram.com/acme_coffee?igsh=abc", ParsedProfile(IG, "acme_coffee")),
    ("https://www.instagram.com/acme.coffee/reels/", ParsedProfile(IG, "acme.coffee")),
    ("https://www.facebook.com/acme", ParsedProfile(FB, "acme")),
    ("https://m.facebook.com/acme.coffee/about/", ParsedProfile(FB, "acme.coffee")),
    ("https://www.facebook.com/profile.php?id=100064123456789", ParsedProfile(FB, "100064123456789", "100064123456789")),
    ("https://www.facebook.com/20531316728", ParsedProfile(FB, "20531316728", "20531316728")),
    ("https://www.facebook.com/pages/Acme-Coffee/20531316728", ParsedProfile(FB, "20531316728", "20531316728")),
    ("https://www.youtube.com/@acme", ParsedProfile(YT, "@acme")),
    ("https://m.youtube.com/@acme.coffee/videos", ParsedProfile(YT, "@acme.coffee")),
    ("https://www.youtube.com/channel/UCK8sQmJBp8GCxrOtXWBpyEA", ParsedProfile(YT, "UCK8sQmJBp8GCxrOtXWBpyEA", "UCK8sQmJBp8GCxrOtXWBpyEA")),
    ("https://www.youtube.com/c/AcmeCoffee/featured", ParsedProfile(YT, "AcmeCoffee")),
    ("https://www.youtube.com/user/acmecoffee", ParsedProfile(YT, "acmecoffee")),
    ("https://www.tiktok.com/@acme.coffee?lang=en", ParsedProfile(TT, "acme.coffee")),
    ("https://x.com/acme", ParsedProfile(X, "acme")),
    ("https://twitter.com/Acme_HQ/media", ParsedProfile(X, "Acme_HQ")),
    ("https://mobile.twitter.com/acme/", ParsedProfile(X, "acme")),
    ("https://www.linkedin.com/company/acme-coffee/", ParsedProfile(LI, "acme-coffee", kind="organization")),
    ("https://www.linkedin.com/company/acme-coffee/posts/?feedView=all", ParsedProfile(LI, "acme-coffee", kind="organization")),
    ("https://www.linkedin.com/company/2414183/", ParsedProfile(LI, "2414183", "urn:li:organization:2414183", "organization")),
    ("https://www.linkedin.com/showcase/acme-roasters/", ParsedProfile(LI, "acme-roasters", kind="organization")),
    ("https://www.linkedin.com/in/jane-doe-123/", ParsedProfile(LI, "jane-doe-123", kind="member")),
    ("https://uk.linkedin.com/in/jane-doe", ParsedProfile(LI, "jane-doe", kind="member")),
    ("https://www.pinterest.com/acmecoffee/", ParsedProfile(PIN, "acmecoffee")),
    ("https://www.pinterest.fr/acmecoffee/_created/", ParsedProfile(PIN, "acmecoffee")),
    ("https://uk.pinterest.com/acmecoffee/brew-guides/", ParsedProfile(PIN, "acmecoffee")),
    ("https://demo.sway.test/@ada", ParsedProfile(DEMO, "ada")),
]  # fmt: skip

PROFILE_REFUSALS = [
    ("https://www.instagram.com/explore/", "instagram: /explore/ is not a profile page"),
    ("https://www.instagram.com/accounts/login/", "instagram: /accounts/ is not a profile page"),
    ("https://www.instagram.com/p/C8xYzAbCdEf/", "instagram: this is a link to a post, not a profile"),
    ("https://x.com/home", "x: /home/ is not a profile page"),
    ("https://x.com/explore", "x: /explore/ is not a profile page"),
    ("https://x.com/i/flow/login", "x: /i/ is not a profile page"),
    ("https://x.com/search?q=coffee", "x: /search/ is not a profile page"),
    ("https://x.com/settings/profile", "x: /settings/ is not a profile page"),
    ("https://x.com/acme/status/1364275610764201984", "x: this is a link to a post, not a profile"),
    ("https://www.youtube.com/watch?v=dQw4w9WgXcQ", "youtube: this is a link to a post"),
    ("https://www.youtube.com/channel/not-a-channel", "youtube: not a profile URL (expected youtube.com/@<handle>"),
    ("https://www.facebook.com/groups/coffee-lovers", "facebook: this is a link to a post"),
    ("https://www.facebook.com/watch/", "facebook: /watch/ is not a profile page"),
    ("https://www.tiktok.com/@acme/video/7390001112223334445", "tiktok: this is a link to a post"),
    ("https://www.linkedin.com/feed/", "linkedin: /feed/ is not a profile page"),
    ("https://www.pinterest.com/pin/1022106077905927852/", "pinterest: this is a link to a post"),
    ("https://vm.tiktok.com/ZMhvqKx3E/", "paste the full https://www.tiktok.com/@user URL"),
    ("https://example.com/acme", "not a URL of a supported platform: example.com"),
]  # fmt: skip


class TestParsePostURL:
    @pytest.mark.parametrize(("url", "platform", "external_id", "handle", "kind"), POSTS)
    def test_accepted(self, url, platform, external_id, handle, kind):
        assert parse_post_url(url) == ParsedPost(platform, external_id, handle, kind)

    @pytest.mark.parametrize(("url", "reason"), POST_REFUSALS)
    def test_refused_with_reason(self, url, reason):
        with pytest.raises(UnrecognizedURL) as caught:
            parse_post_url(url)
        assert reason in str(caught.value)
        assert caught.value.reason == str(caught.value)

    def test_refusal_is_a_value_error(self):
        with pytest.raises(ValueError, match="supported platform"):
            parse_post_url("https://example.com/")

    def test_result_is_immutable(self):
        parsed = parse_post_url("https://x.com/acme/status/1")
        with pytest.raises(AttributeError):
            parsed.external_id = "2"  # type: ignore[misc]


class TestParseProfileURL:
    @pytest.mark.parametrize(("url", "expected"), PROFILES)
    def test_accepted(self, url, expected):
        assert parse_profile_url(url) == expected

    @pytest.mark.parametrize(("url", "reason"), PROFILE_REFUSALS)
    def test_refused_with_reason(self, url, reason):
        with pytest.raises(UnrecognizedURL) as caught:
            parse_profile_url(url)
        assert reason in str(caught.value)
