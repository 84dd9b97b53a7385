"""Every exception groq-vcr raises, one per condition.

Every error a user can meet derives from :class:`GroqVcrError`, except :class:`NoMatchError` (see why there),
and its message is a sentence that says what happened, where, and how to fix it.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # for the annotation only: this module imports nothing of groq-vcr at run time
    from groq_vcr.schema import SchemaReport


class GroqVcrError(Exception):
    """Base class of every error groq-vcr raises on purpose."""


class CassetteFormatError(GroqVcrError):
    """A cassette file cannot be read: names the file, the line/column when known, and the problem."""

    def __init__(
        self,
        problem: str,
        *,
        path: str | Path | None = None,
        line: int | None = None,
        column: int | None = None,
    ) -> None:
        self.problem = problem
        self.path = str(path) if path is not None else None
        self.line = line
        self.column = column
        super().__init__(self._render())

    @property
    def location(self) -> str:
        """``file:line:column`` as far as it is known."""
        where = self.path or "<cassette>"
        if self.line is not None:
            where += f":{self.line}"
            if self.column is not None:
                where += f":{self.column}"
        return where

    def _render(self) -> str:
        return f"{self.location}: {self.problem}"

    def with_path(self, path: str | Path) -> CassetteFormatError:
        """The same error, attributed to ``path`` (used when the text was parsed before its file was known)."""
        return CassetteFormatError(self.problem, path=path, line=self.line, column=self.column)


class CassetteSaveError(GroqVcrError, OSError):
    """A cassette cannot be written (a read-only folder or file system, permission denied, a full disk...).

    The message is one line naming the cassette's folder, the cause and the fix; the file on disk is as it was.
    It is an ``OSError`` too, with the ``errno``, ``strerror`` and ``filename`` of the failure.
    """

    def __init__(
        self, message: str, *, errno: int | None = None, strerror: str | None = None, filename: str | None = None
    ) -> None:
        super().__init__(errno, strerror, filename)
        self.message = message

    def __str__(self) -> str:
        return self.message

    def __reduce__(self) -> tuple[object, ...]:
        return _rebuild_save_error, (self.message, self.errno, self.strerror, self.filename)


def _rebuild_save_error(
    message: str, errno: int | None, strerror: str | None, filename: str | None
) -> CassetteSaveError:
    return CassetteSaveError(message, errno=errno, strerror=strerror, filename=filename)


class SecretFoundError(GroqVcrError):
    """A cassette about to be written (or scanned) still holds a secret; nothing was written."""


class NoMatchError(BaseException):
    """A request was made that no recorded interaction answers; the message explains why and how to fix it.

    A ``BaseException`` on purpose, like pytest's own outcomes: the ``groq`` and ``openai`` SDKs catch every
    ``Exception`` from their transport and retry it as ``APIConnectionError: Connection error.``, which would
    hide this explanation behind seconds of back-off. Catch it by name (``except groq_vcr.NoMatchError``);
    ``except GroqVcrError`` does not see it. In pytest it is reported as the test's failure, without a
    traceback.
    """


class SchemaDriftError(AssertionError, GroqVcrError):
    """A response's schema differs from the recorded one in a way that fails (the message is the report)."""

    def __init__(self, report: SchemaReport, *, where: str | None = None) -> None:
        self.report = report
        self.where = where
        super().__init__(self._render())

    def _render(self) -> str:
        strictness = " (strict: additive changes fail too)" if self.report.strict else ""
        head = "response schema drifted" + (f" from {self.where}" if self.where else "") + strictness
        body = "\n".join(f"  {line}" for line in self.report.to_text().splitlines())
        fix = "re-record the cassette (pytest --record-mode=rewrite) if the new shape is expected"
        return f"{head}:\n{body}\n{fix}"


class InputError(GroqVcrError):
    """A curl command, request spec or response file given to the CLI is unusable."""


class CassetteExpiredError(GroqVcrError):
    """A cassette is older than its maximum age and the chosen action is ``fail``."""


class ApiUnreachableError(GroqVcrError):
    """A call could not reach the API (connection refused, DNS, TLS, a timeout, a connection that broke)."""

    def __init__(self, message: str, *, url: str = "", reason: str = "") -> None:
        super().__init__(message)
        self.url = url
        """The URL that was called."""
        self.reason = reason
        """What the HTTP client said (``[Errno 111] Connection refused``)."""


class RateLimitExhaustedError(GroqVcrError):
    """Waiting out a rate limit would take longer than allowed, or the retries are used up."""


class FaultArgumentError(GroqVcrError, ValueError):
    """A fault was given an argument it does not take, or a value it does not accept.

    The message names the fault as it was written (``delay(first_byte='soon')``) and what it accepts. A
    ``ValueError`` too, so ``except ValueError`` around fault building keeps working.
    """


class CassetteExpiredWarning(UserWarning):
    """A cassette is older than its maximum age; it is replayed anyway (action ``warn``)."""
