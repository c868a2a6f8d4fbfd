"""How long and how big one example may get: its timeout, memory, processes and captured output."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from ..project import Project

DEFAULT_TIMEOUT = 30.0
MAX_TIMEOUT = 600.0
"""The longest timeout an example may ask for (``test.timeout`` in config.json), in seconds."""


def timeout_problem(value: Any) -> str | None:
    """Why ``value`` is not a usable timeout (a number of seconds, 0 < value <= MAX_TIMEOUT)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return f"must be a number of seconds, not {value!r}"
    if math.isinf(value):
        return f"must be a finite number of seconds (at most {MAX_TIMEOUT:g}), not infinity"
    if not math.isfinite(value) or not 0 < value <= MAX_TIMEOUT:
        return f"must be more than 0 and at most {MAX_TIMEOUT:g} seconds, not {value!r}"
    return None


@dataclass(frozen=True)
class Limits:
    """Per-example resource limits, enforced inside the kernel-isolated cell.

    ``memory`` caps each process's data segment (``RLIMIT_DATA``: heap and private writable
    mappings) and the size of the cell's private ``/tmp``; ``processes`` caps the processes and
    threads of the example's user at once (``RLIMIT_NPROC``); ``output`` caps what is kept of each
    of stdout and stderr (head and tail, ``... N bytes cut`` between). Without kernel isolation only
    ``output`` is enforced.
    """

    memory: int = 1024 * 1024 * 1024
    processes: int = 256
    output: int = 1024 * 1024

    @classmethod
    def of(cls, project: Project) -> Limits:
        """The limits a project sets in ``[tool.snippetgen]`` (``max_memory_mb``, ``max_processes``,
        ``max_output_bytes``), defaults for those it leaves out."""
        default = cls()
        memory_mb = getattr(project, "max_memory_mb", None)
        return cls(
            memory=int(memory_mb) * 1024 * 1024 if memory_mb else default.memory,
            processes=int(getattr(project, "max_processes", None) or default.processes),
            output=int(getattr(project, "max_output_bytes", None) or default.output),
        )

    def as_dict(self) -> dict[str, int]:
        return {"memory": self.memory, "processes": self.processes, "output": self.output}
