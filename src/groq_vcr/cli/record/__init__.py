"""``groq-vcr record`` and what it needs: curl and request-spec parsing, the sender, rate-limit pacing."""
