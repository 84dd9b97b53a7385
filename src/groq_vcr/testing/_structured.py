"""What a chat answer becomes under ``response_format``, ``reasoning_format`` and a compound model.

``json_schema`` answers an object built from the schema (the same values a tool call gets), ``json_object``
an object holding the reply (and Groq's 400 when no message mentions JSON); ``reasoning_format="raw"`` puts
the reasoning inside ``<think>`` tags in the content; ``groq/compound*`` models report the web search they ran
in ``executed_tools``.
"""

from __future__ import annotations

import json
from typing import Any

from groq_vcr.testing._call import bad_request

__all__ = ["executed_tools", "raw_reasoning", "structured_content"]


def structured_content(payload: dict[str, Any], reply: str, arguments_for: Any) -> str | None:
    """The content ``response_format`` asks for, or None for plain text.

    ``arguments_for(schema)`` builds an object that satisfies a JSON schema.
    """
    response_format = payload.get("response_format")
    if not isinstance(response_format, dict):
        return None
    kind = response_format.get("type")
    if kind == "json_schema":
        spec = response_format.get("json_schema")
        if not isinstance(spec, dict) or not isinstance(spec.get("schema"), dict):
            raise bad_request("'response_format.json_schema.schema' : property 'schema' is missing")
        return json.dumps(arguments_for(spec["schema"]))
    if kind == "json_object":
        said = json.dumps(payload.get("messages"))
        if "json" not in said.lower():
            raise bad_request(
                "'messages' must contain the word 'json' in some form, to use 'response_format' of type 'json_object'.",
            )
        return json.dumps({"reply": reply})
    return None


def raw_reasoning(reasoning: str, content: str | None) -> str:
    """Reasoning as ``reasoning_format="raw"`` returns it: in ``<think>`` tags before the answer."""
    return f"<think>\n{reasoning}\n</think>\n\n{content or ''}"


def executed_tools(query: str) -> list[dict[str, Any]]:
    """The built-in web search a compound model reports having run for ``query``."""
    words = query.split()[:6] or ["groq"]
    slug = "-".join(w.lower().strip(".,?!") for w in words)
    result = {
        "title": f"About {' '.join(words)}",
        "url": f"https://example.com/search/{slug}",
        "content": f"A deterministic search result for {' '.join(words)}.",
        "score": 0.9,
    }
    return [
        {
            "index": 0,
            "type": "search",
            "arguments": json.dumps({"query": query}),
            "output": f"Title: {result['title']}\nURL: {result['url']}\nContent: {result['content']}\n",
            "search_results": {"results": [result]},
        }
    ]
