"""Meta's real answers, as recorded in public places: the sandbox's strings come from here.

A data module (no tests). Each entry says what was recorded, where, and what was not in the
source. `body` is the exact JSON where a whole body was recorded; otherwise `fields` holds the
exact parts that were (message, code, subcode, type, user title/message). `status` is the HTTP
status when the source shows it. `unsure` marks entries no public source settles: they hold the
closest evidence, and the sandbox's choice is documented in docs/sandbox.md.

Sources named "public repository file (find_string ...)" come from the public-code index, which
shows a file's text but not its repository: the quoted phrase finds it again there.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Answer:
    id: str
    source: str
    body: Any = None  # the exact JSON body, when recorded whole
    fields: dict[str, Any] = field(default_factory=dict)  # exact parts, when only they were
    status: int | None = None
    note: str = ""
    unsure: bool = False


ANSWERS: tuple[Answer, ...] = (
    # -- Instagram Login: app credentials ---------------------------------------------------
    Answer(
        "ig-invalid-platform-app",
        "https://github.com/pdir/social-feed-bundle/issues/105 (also jsmrtn/craftagram#25)",
        body={"error_type": "OAuthException", "code": 400, "error_message": "Invalid platform app"},
        status=400,
        note="api.instagram.com/oauth/access_token with the Meta app's id instead of the "
        "Instagram app's; the reporter's fix: use the Instagram app id and secret.",
    ),
    Answer(
        "ig-dialog-invalid-platform-app",
        "https://github.com/pdir/social-feed-bundle/issues/167",
        fields={
            "text_de": "Ungültige Anfrage: Anfrageparameter sind ungültig: Invalid platform app"
        },
        note="What the instagram.com authorize step showed a German user with the Meta app id; "
        "the English wording ('Invalid Request: Request parameters are invalid: ...') is a "
        "translation, not a recording.",
        unsure=True,
    ),
    Answer(
        "ig-bad-client-secret",
        "none recorded for api.instagram.com; Facebook's form below",
        fields={
            "error_type": "OAuthException",
            "code": 400,
            "error_message": "Error validating client secret.",
        },
        status=400,
        note="The Facebook exchange's message in api.instagram.com's shape: no public recording "
        "of the Instagram host's own text was found.",
        unsure=True,
    ),
    Answer(
        "ig-code-used",
        "public repository file (find_string 'This authorization code has been used', "
        "an 'Instagram OAuth Duplicate Callback' write-up quoting its logs)",
        body={
            "error_type": "OAuthException",
            "code": 400,
            "error_message": "This authorization code has been used",
        },
        status=400,
        note="No trailing period, unlike the Facebook host's message.",
    ),
    Answer(
        "ig-code-not-found",
        "https://github.com/sachin-handiekar/jInstagram/issues/191, "
        "https://github.com/titarenko/OAuth2/issues/129",
        body={
            "error_type": "OAuthException",
            "code": 400,
            "error_message": "Matching code was not found or was already used.",
        },
        status=400,
        note="Recorded 2016-2019 (Basic Display era); the sandbox answers it for an unknown code.",
    ),
    # -- Facebook code exchange -------------------------------------------------------------
    Answer(
        "fb-code-used",
        "public repository file (find_string '\"error_subcode\":36009', a C# token helper "
        "comment with the recorded body); also ueberauth_facebook's logged answer",
        body={
            "error": {
                "message": "This authorization code has been used.",
                "type": "OAuthException",
                "code": 100,
                "error_subcode": 36009,
                "fbtrace_id": "AHtohT4VFYAhX-Ii6g-6xL7",
            }
        },
        status=400,
    ),
    Answer(
        "fb-code-expired",
        "public repository file (find_string 'This authorization code has been used', "
        "snarfed/bridgy's recorded errors list)",
        fields={
            "type": "OAuthException",
            "code": 100,
            "message": "This authorization code has expired.",
        },
        note="Subcode 36007 is the Graph error-handling page's; not in the recorded body.",
    ),
    Answer(
        "fb-redirect-mismatch",
        "the sandbox's earlier text (Meta's Login docs wording); no recording with subcode found",
        fields={
            "code": 100,
            "error_subcode": 36008,
            "message": "Error validating verification code. Please make sure your "
            "redirect_uri is identical to the one you used in the OAuth dialog request",
        },
        unsure=True,
        note="Kept from the sandbox's first version; the subcode 36008 is the error-handling "
        "page's, the text is not re-checked against a recorded answer.",
    ),
    Answer(
        "fb-bad-client-secret",
        "public repository file (find_string 'This authorization code has been used', a JS "
        "test table: graphError(1, 'Error validating client secret.'))",
        fields={"code": 1, "message": "Error validating client secret."},
    ),
    Answer(
        "fb-bad-app-id",
        "same test table: graphError(101, 'Error validating application. Invalid application ID.')",
        fields={"code": 101, "message": "Error validating application. Invalid application ID."},
    ),
    # -- Code 1: reduce the amount of data --------------------------------------------------
    Answer(
        "reduce-data",
        "https://github.com/keboola/ex-facebook-graph-api/issues/55; status from "
        "airbytehq/airbyte source-instagram unit tests (status_code 500)",
        body={
            "error": {
                "code": 1,
                "message": "Please reduce the amount of data you're asking "
                "for, then retry your request",
            }
        },
        status=500,
        note="type, is_transient and fbtrace_id were not in the sources; the sandbox adds "
        "type OAuthException, is_transient false and an fbtrace_id like every error.",
    ),
    # -- Code 368 ---------------------------------------------------------------------------
    Answer(
        "policy-blocked-368",
        "public repository files (find_string 'misusing this feature by going too fast': a "
        "Facebook publish client's test with code 368 and HTTP 403; find_string '1390008': "
        "clients matching code 368 with subcode 1390008)",
        fields={
            "message": "It looks like you were misusing this feature by going too fast. "
            "You\u2019ve been temporarily blocked from using it.",
            "type": "OAuthException",
            "code": 368,
            "error_subcode": 1390008,
        },
        status=403,
        note="error_user_title 'You\u2019re Temporarily Blocked' is the title Facebook shows "
        "(seen in UI automation), not a recorded JSON field.",
    ),
    # -- Story insights ---------------------------------------------------------------------
    Answer(
        "not-enough-viewers",
        "airbytehq/airbyte source-instagram (common.py and unit tests)",
        body={
            "error": {
                "type": "OAuthException",
                "code": 10,
                "message": "(#10) Not enough viewers for the media to show insights",
            }
        },
    ),
    Answer(
        "metric-must-be-one-of",
        "https://github.com/janu-software/facebook-php-sdk/issues/17; a public test fixture "
        "(find_string '2207086,') for media metrics",
        fields={
            "code": 100,
            "message": "metric[0] must be one of the following values: "
            "impressions, shares, comments, likes, saved, replies, total_interactions, "
            "navigation, follows, profile_visits, profile_activity, reach, "
            "ig_reels_video_view_total_time, ig_reels_avg_watch_time, views, ...",
        },
        note="The fixture's type is IGApiException; Graph answers show (#100) in front. The "
        "sandbox lists the valid story metrics of its table.",
    ),
    Answer(
        "metric-cancelled-2207086",
        "public repository file (find_string '2207086,': a test fixture "
        "FACEBOOK_DISTRIBUTION_REQUIRED_ERROR); reports that `facebook_views` on a story or "
        "reel not shared to Facebook fails the whole request (find_string 'subcode 2207086')",
        body={
            "error": {
                "message": "Fatal",
                "type": "OAuthException",
                "code": -1,
                "error_subcode": 2207086,
            }
        },
        status=400,
        note="Status not in the fixture.",
    ),
    Answer(
        "metric-forbidden-200",
        "public repository file (find_string 'subcode 2207086': `total_views` on stories "
        "'sometimes answers (#200)'); body form from find_string '\"(#200) Permissions error\"'",
        fields={"code": 200, "message": "(#200) Permissions error"},
        status=403,
        note="The 403 is from a client test fixture; error_subcode and type not recorded.",
    ),
    Answer(
        "breakdown-mix-unknown-error",
        "fact sheet §5 (Meta's story insights page); body text as in a public retry table "
        "('An unknown error has occurred.', code 1)",
        fields={"code": 1, "message": "An unknown error has occurred."},
        status=500,
        unsure=True,
        note="No recording of the exact answer to a mixed breakdown request was found.",
    ),
    Answer(
        "object-missing-33",
        "Meta Graph API (sandbox's earlier text); airbyte treats 100/33 as retryable",
        fields={
            "code": 100,
            "error_subcode": 33,
            "message": "Unsupported get request. Object with ID '{id}' does not exist, "
            "cannot be loaded due to missing permissions, or does not support this "
            "operation. Please read the Graph API documentation at "
            "https://developers.facebook.com/docs/graph-api",
        },
    ),
    # -- Dead tokens (190) ------------------------------------------------------------------
    Answer(
        "token-190-460",
        "public repository file (find_string 'because the user is not a confirmed user': an "
        "integration's recorded strings)",
        fields={
            "code": 190,
            "error_subcode": 460,
            "message": "Error validating access token: The session has been invalidated "
            "because the user changed their password or Facebook has changed the session "
            "for security reasons.",
        },
    ),
    Answer(
        "token-190-459",
        "facebook-ios-sdk (FBSDKLoginKit comment quoting the server, find_string 'till you "
        "log in to www.facebook.com')",
        fields={
            "code": 190,
            "error_subcode": 459,
            "message": "Error validating access token: You cannot access the app till you "
            "log in to www.facebook.com and follow the instructions given.",
        },
    ),
    Answer(
        "token-190-464",
        "https://github.com/snarfed/bridgy/issues/436 (oauth-dropins' recorded errors); two "
        "spaces after 'user' as in facebook-ios-sdk's comment",
        body={
            "error": {
                "message": "Error validating access token: Sessions for the user X are "
                "not allowed because the user is not a confirmed user.",
                "type": "OAuthException",
                "code": 190,
                "error_subcode": 464,
            }
        },
    ),
    Answer(
        "token-190-492",
        "public repository file (find_string '\"error_subcode\":492': a StatusCodeError test "
        "with the whole body)",
        body={
            "error": {
                "message": "The user must be an administrator, editor, or moderator of "
                "the page in order to impersonate it. If the page business requires Two "
                "Factor Authentication, the user also needs to enable Two Factor "
                "Authentication.",
                "type": "OAuthException",
                "code": 190,
                "error_subcode": 492,
                "fbtrace_id": "ArmNm5F1-pv6cm7cLNCNd5W",
            }
        },
        status=400,
    ),
    Answer(
        "token-190-458-463-467",
        "Meta's error-handling guide (subcode names); messages are the sandbox's earlier ones",
        fields={
            "458": "Error validating access token: The user has not authorized "
            "application {app_id}.",
            "463": "Error validating access token: Session has "
            "expired on {when}. The current time is {now}.",
            "467": "Error validating "
            "access token: The session is invalid because the user logged out.",
        },
        note="The 458 prefix is confirmed by a client matching 'Error validating access token: "
        "The user has not authorized application'; 463 and 467 texts not re-checked.",
    ),
    Answer(
        "debug-token-dead",
        "public repository file (find_string 'till you log in to www.facebook.com': a blog "
        "post showing debug_token's answer)",
        body={
            "error": {
                "code": 190,
                "message": "You cannot access the app till you log in to "
                "www.facebook.com and follow the instructions given.",
                "subcode": 459,
            }
        },
        note="The post shows the error object only; Meta's reference says it sits in `data` "
        "with is_valid false (200). The message lacks the 'Error validating access token: ' "
        "prefix the Graph error has.",
    ),
    Answer(
        "debug-token-user",
        "same blog post",
        body={
            "data": {
                "app_id": "{APP_ID}",
                "type": "USER",
                "application": "{APP_NAME}",
                "data_access_expires_at": 1595230436,
                "expires_at": 1592638436,
                "is_valid": True,
                "issued_at": 1587454436,
                "metadata": {"auth_type": "rerequest", "sso": "android"},
                "scopes": ["public_profile"],
                "user_id": "{user_id}",
            }
        },
    ),
    Answer(
        "debug-token-system-user",
        "fact sheet §10 (business/system_user_access_tokens): expires_at 0 unless 60 days",
        fields={"type": "SYSTEM_USER", "expires_at": 0},
        unsure=True,
        note="No recorded debug_token answer for a system-user token was found: `type` may be "
        "USER or SYSTEM_USER.",
    ),
    # -- Throttles --------------------------------------------------------------------------
    Answer(
        "throttle-4",
        "public repository file (find_string '\"code\":368': a classifier test table); Meta's "
        "error-handling guide",
        fields={"code": 4, "message": "(#4) Application request limit reached"},
    ),
    Answer(
        "throttle-17",
        "public repository file (find_string '(#32) Page request limit reached': a publish "
        "error table)",
        fields={
            "code": 17,
            "error_subcode": 2446079,
            "type": "OAuthException",
            "message": "(#17) User request limit reached",
        },
    ),
    Answer(
        "throttle-32",
        "Meta's error-handling guide sample (quoted by several clients); airbyte-style fixture "
        "with fbtrace_id",
        body={
            "error": {
                "message": "(#32) Page request limit reached",
                "type": "OAuthException",
                "code": 32,
                "fbtrace_id": "Fz54k3GZrio",
            }
        },
    ),
    Answer(
        "throttle-613",
        "Meta's Marketing API rate-limiting page as quoted in public docs (find_string "
        "'(#613) Calls to this api have exceeded')",
        fields={
            "code": 613,
            "error_subcode": None,
            "message": "(#613) Calls to this api have exceeded the rate limit.",
        },
        note="Meta: the custom/abuse limit is told apart by having no subcode.",
    ),
    Answer(
        "throttle-80002",
        "fact sheet §8; Meta's rate-limiting page names code 80002 for Instagram",
        fields={
            "code": 80002,
            "message": "(#80002) There have been too many calls to this "
            "Instagram account. Wait a bit and try again. For more info, please refer to "
            "https://developers.facebook.com/docs/graph-api/overview/rate-limiting.",
        },
        unsure=True,
        note="Text patterned on the recorded ad-account form ('There have been too many calls "
        "from this ad-account. Wait a bit and try again...'); subcode 2446079 is the sandbox's.",
    ),
    Answer(
        "buc-header",
        "Meta's rate-limiting page (fact sheet §8, CORRECTED)",
        fields={
            "X-Business-Use-Case-Usage": {
                "<id>": [
                    {
                        "type": "instagram",
                        "call_count": 0,
                        "total_cputime": 0,
                        "total_time": 0,
                        "estimated_time_to_regain_access": 0,
                    }
                ]
            },
            "X-App-Usage": {"call_count": 0, "total_time": 0, "total_cputime": 0},
        },
        note="One Instagram call is reported under two ids (business and account); the "
        "sandbox reports the account's id only.",
    ),
    # -- Business discovery -----------------------------------------------------------------
    Answer(
        "discovery-success",
        "Meta's business discovery guide example (fact sheet §10)",
        body={
            "business_discovery": {
                "followers_count": 267793,
                "media_count": 1205,
                "id": "17841401441775531",
            },
            "id": "17841405309211844",
        },
        note="Meta adds `id` to the discovered object and to the caller's node.",
    ),
    Answer(
        "discovery-not-found",
        "public repository files (find_string '\"error_subcode\":2207013': a client test "
        "recording Meta's answer for a handle that does not exist)",
        body={
            "error": {
                "message": "Invalid user id",
                "type": "OAuthException",
                "code": 110,
                "error_subcode": 2207013,
            }
        },
        status=400,
    ),
    Answer(
        "discovery-personal",
        "a Korean client's test (find_string '\"error_subcode\":2207013'): 'Target is not an "
        "Instagram business account', 110/2207013; a Spanish client's Business Discovery module "
        "(find_string '2207013'): 'Meta does not tell a personal account from a non-existent @: "
        "both return 110/2207013' (their spike against v26.0)",
        fields={"code": 110, "error_subcode": 2207013},
        unsure=True,
        note="Code and subcode agree in every source; the message text for a personal account "
        "is not settled, so igconnect decides on code 110 + subcode 2207013 only "
        "(trackers/discover.py) and the sandbox answers the not-found body for both. No public "
        "recording of an error_user_title ('Cannot find User') was found.",
    ),
    # -- Hashtags ---------------------------------------------------------------------------
    Answer(
        "hashtag-limit",
        "Meta's IG Hashtag Search reference: 30 unique hashtags per account per 7 days",
        fields={
            "limit": 30,
            "window_days": 7,
            "code": 4,
            "error_subcode": None,
            "message": "(#4) You have reached the maximum number of unique hashtags (30) this "
            "Instagram account can search within 7 days",
        },
        unsure=True,
        note="No public recording of the error for the 31st hashtag was found (searched again "
        "2026-12-02: issues, code, pages and Meta's Instagram error-code table, which lists no "
        "hashtag entry). Meta's table gives 4/2207051 to suspected spam in publishing, so the "
        "sandbox does not use that subcode: it answers code 4 without a subcode, with its own "
        "text (above). igconnect never sends a 31st query, so nothing depends on this text.",
    ),
    Answer(
        "hashtag-search-success",
        "Meta's IG Hashtag Search reference",
        body={"data": [{"id": "17843857450040591"}]},
    ),
    # -- Batch ------------------------------------------------------------------------------
    Answer(
        "batch-success",
        "jgorset/facepy tests/test_graph_api.py (mock of Meta's batch answer); Meta's batch guide",
        body=[
            {
                "code": 200,
                "headers": [{"name": "Content-Type", "value": "text/javascript; charset=UTF-8"}],
                "body": '{"foo": "bar"}',
            },
            None,
        ],
        note="`null` for an item Meta timed out on is from Meta's batch guide.",
    ),
    Answer(
        "batch-too-big",
        "jgorset/facepy tests/test_graph_api.py (test_batch_over_50_requests)",
        body={
            "error": {
                "message": "Too many requests in batch message. Maximum batch size is 50",
                "type": "GraphBatchException",
            }
        },
        note="No code in the recording; the sandbox adds code 1 (UNSURE) so every error has one.",
    ),
)

BY_ID = {a.id: a for a in ANSWERS}
