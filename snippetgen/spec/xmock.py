"""The ``x-mock`` vocabulary (docs/reference/mock-extensions.md) as JSON Schemas.

Vocabulary only: the spec lint reports violations as problems, the mock refuses them at start-up,
and both read these schemas, so they never disagree.
"""

from __future__ import annotations

import jsonschema_rs

_POINTER = {"type": "string", "pattern": "^(/[^/]*)+$"}
_STATUS = {"type": "integer", "minimum": 100, "maximum": 599}

DOCUMENT = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "error": {
            "type": "object",
            "additionalProperties": False,
            "required": ["body"],
            "properties": {
                "body": {},
                "status": _STATUS,
                "content-type": {"type": "string"},
            },
        },
        "accounts": {
            "type": "object",
            "additionalProperties": False,
            "required": ["balance"],
            "properties": {
                "balance": {"type": "number", "minimum": 0},
                "cost": {"type": "number", "minimum": 0},
                "report": _POINTER,
                "status": _STATUS,
            },
        },
        "rate-limit": {
            "type": "object",
            "additionalProperties": False,
            "required": ["limit", "window"],
            "properties": {
                "limit": {"type": "integer", "minimum": 1},
                "window": {"type": "number", "exclusiveMinimum": 0},
                "status": _STATUS,
                "reset": {"enum": ["epoch", "seconds"]},
                "headers": {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {
                        "limit": {"type": "string"},
                        "remaining": {"type": "string"},
                        "reset": {"type": "string"},
                    },
                },
            },
        },
    },
}

_PHASE = {
    "type": "object",
    "additionalProperties": False,
    "required": ["status"],
    "properties": {"status": _STATUS, "example": {"type": "string"}},
}

OPERATION = {
    "type": "object",
    "additionalProperties": False,
    "properties": {
        "example": {"type": "string"},
        "example-by": {
            "type": "object",
            "additionalProperties": False,
            "required": ["by", "values"],
            "properties": {
                "by": {"type": "string"},
                "values": {"type": "object", "additionalProperties": {"type": "string"}, "minProperties": 1},
            },
        },
        "paginate": {
            "type": "object",
            "additionalProperties": False,
            "required": ["page", "total", "report"],
            "properties": {
                "page": {"type": "string", "pattern": "^(query|header):.+$"},
                "limit": {"type": "string", "pattern": "^(query|header):.+$"},
                "total": {"type": "integer", "minimum": 0},
                "report": {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {k: _POINTER for k in ("page", "limit", "total", "pages", "has_more")},
                },
            },
        },
        "job-create": {
            "type": "object",
            "additionalProperties": False,
            "required": ["id"],
            "properties": {"id": _POINTER},
        },
        "job-poll": {
            "type": "object",
            "additionalProperties": False,
            "required": ["of", "id", "phases"],
            "properties": {
                "of": {"type": "array", "items": {"type": "string"}, "minItems": 1},
                "id": {"type": "string", "pattern": "^(query|path|header):.+$"},
                "phases": {"type": "array", "items": _PHASE, "minItems": 1},
                "echo": _POINTER,
            },
        },
        "stream": {
            "type": "object",
            "additionalProperties": False,
            "required": ["sequences"],
            "properties": {
                "by": {"type": "string"},
                "default": {"type": "string"},
                "sequences": {
                    "type": "object",
                    "minProperties": 1,
                    "additionalProperties": {"type": "array", "minItems": 1},
                },
            },
        },
        "cost": {
            "type": "object",
            "additionalProperties": False,
            "properties": {
                "by": {"type": "string"},
                "values": {"type": "object", "additionalProperties": {"type": "number", "minimum": 0}},
                "value": {"type": "number", "minimum": 0},
                "status": _STATUS,
                "report": _POINTER,
            },
        },
        "count": {
            "type": "object",
            "additionalProperties": False,
            "required": ["by", "at"],
            "properties": {
                "by": {"type": "string", "minLength": 1},
                "at": _POINTER,
                "max": {"type": "integer", "minimum": 0},
            },
        },
        "files": {
            "type": "object",
            "minProperties": 1,
            "additionalProperties": {
                "type": "object",
                "additionalProperties": False,
                "minProperties": 1,
                "properties": {
                    "max-bytes": {"type": "integer", "minimum": 0},
                    "types": {
                        "type": "array",
                        "minItems": 1,
                        "items": {"type": "string", "pattern": "^[\\w.+*-]+/[\\w.+*-]+$"},
                    },
                },
            },
        },
    },
}

VALIDATORS = {
    "document": jsonschema_rs.validator_for(DOCUMENT),
    "operation": jsonschema_rs.validator_for(OPERATION),
}
