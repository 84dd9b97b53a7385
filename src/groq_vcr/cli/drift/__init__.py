"""``groq-vcr drift``: re-send recorded requests to the live API and report response-schema drift.

``_rerecord`` sends the recorded requests again (with the recorder of ``groq-vcr record``: httpx only, rate
limits honoured) and stops at the first sign that the API cannot answer; ``_report`` compares the answers with
the committed cassettes and writes the short Markdown / JSON / text report; ``_command`` is the click command.
"""
