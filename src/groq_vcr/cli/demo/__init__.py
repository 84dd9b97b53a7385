"""``groq-vcr demo``: the whole loop, offline, against the local Groq-compatible server."""
