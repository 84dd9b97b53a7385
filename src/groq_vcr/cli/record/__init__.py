"""``groq-vcr record`` and what it needs: curl and request-spec parsing, the sender, rate-limit pacing."""

from groq_vcr.cli.record._curl import parse_curl_text
from groq_vcr.cli.record._request_spec import MISSING_FILE_PLACEHOLDER, load_request_specs

__all__ = ["MISSING_FILE_PLACEHOLDER", "load_request_specs", "parse_curl_text"]
