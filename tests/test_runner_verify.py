"""Unit checks of the runner's verdicts: magic bytes, request log rules, drift between tabs."""

from __future__ import annotations

import pytest

from snippetgen.mock import media
from snippetgen.runner.run import builtin_fixture
from snippetgen.runner.verify import drift, has_magic, request_failures

LABELS = {"py": "Python", "js": "JavaScript", "curl": "cURL"}


@pytest.mark.parametrize("ext", sorted(media.TYPES))
def test_every_mock_media_file_has_its_magic_bytes(ext):
    assert has_magic(f"result{ext}", media.data(ext)[:16])


def test_wrong_magic_is_caught():
    assert not has_magic("result.mp4", b"<html>not a video")
    assert not has_magic("result.png", media.data(".jpg")[:16])


def test_builtin_fixtures_by_extension():
    assert builtin_fixture("voice.mp3").startswith(b"ID3")
    assert builtin_fixture("photo.jpeg").startswith(b"\xff\xd8\xff")
    assert builtin_fixture("notes.txt") is None


def test_request_rules():
    log = [
        {"method": "POST", "path": "/a", "operation": "x:create", "errors": [], "status": 201},
        {"method": "GET", "path": "/file.mp4", "operation": None, "media": True, "status": 200},
        {"method": "GET", "path": "/nope", "operation": None, "status": 404},
        {
            "method": "POST",
            "path": "/b",
            "operation": "x:other",
            "status": 400,
            "errors": [{"location": "body/model", "message": "bad"}],
        },
    ]
    failures = request_failures(log, ["x:create", "x:poll"], lambda ref: ref)
    assert failures == [
        "GET /nope matched no operation of the specs (answered 404)",
        "POST /b called x:other, which config.json does not declare in operations",
        "POST /b (x:other) failed validation: body/model: bad",
        "declared operation x:poll was never called",
    ]


def test_a_reply_the_spec_does_not_declare_fails_the_example():
    """A false green is impossible: the example passed only because the mock answered wrongly."""
    log = [
        {
            "method": "POST",
            "path": "/images",
            "operation": "x:create",
            "status": 200,
            "errors": [],
            "reply_errors": ["a body the spec does not declare: /data/0/url is missing"],
        }
    ]
    assert request_failures(log, ["x:create"], lambda ref: ref) == [
        "POST /images (x:create): the mock answered 200 with a body the spec does not declare: "
        "/data/0/url is missing (a mock bug or a spec whose example contradicts its schema, not the "
        "example's fault)"
    ]


def test_a_skipped_operation_fails_with_one_short_reason():
    log = [
        {
            "method": "GET",
            "path": "/x",
            "operation": "x:getX",
            "status": 501,
            "errors": [],
            "skipped": "specs/x.yaml:7: invalid schema: bad",
        }
    ]
    assert request_failures(log, ["x:getX"], lambda ref: ref) == [
        "GET /x: the mock does not serve x:getX: specs/x.yaml:7: invalid schema: bad"
    ]


def test_drift_ignores_number_spelling_and_poll_counts_but_names_a_changed_field():
    py = [{"operation": "x:create", "body": {"n": 62.0, "m": "a"}}] + [
        {"operation": "x:poll", "body": None}
    ] * 3
    js = [{"operation": "x:create", "body": {"n": 62, "m": "a"}}] + [
        {"operation": "x:poll", "body": None}
    ] * 2
    assert drift({"py": py, "js": js}, LABELS) == []
    curl = [{"operation": "x:create", "body": {"n": 62, "m": "b"}}]
    assert drift({"py": py, "curl": curl}, LABELS) == [
        "x:poll is called only by the Python tab",
        "cURL tab sends a different x:create request than the Python tab: field 'm' differs",
    ]


def test_drift_compares_multipart_fields_and_file_types():
    def upload(ctype, strength):
        return [
            {
                "operation": "x:up",
                "body": {
                    "fields": {"strength": strength},
                    "files": [{"field": "image", "content_type": ctype, "size": 9}],
                },
            }
        ]

    assert drift({"py": upload("image/png", "0.5"), "js": upload("image/png", 0.5)}, LABELS) == []
    assert drift({"py": upload("image/png", "0.5"), "js": upload("image/jpeg", "0.5")}, LABELS) == [
        "JavaScript tab sends a different x:up request than the Python tab: field '(files)' differs"
    ]
