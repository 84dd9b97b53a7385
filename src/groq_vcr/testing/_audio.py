"""Audio: transcriptions and translations (multipart uploads) and speech (a WAV generated in code)."""

from __future__ import annotations

import hashlib
import io
import math
import wave
from typing import Any, Literal

from starlette.datastructures import UploadFile
from starlette.responses import Response

from groq_vcr.testing._call import Call, bad_request, require_model
from groq_vcr.testing._completion import count_tokens
from groq_vcr.testing._responses import groq_headers, json_response

__all__ = ["audio_to_text", "speech", "wav_file"]


_SENTENCE = (
    ("The speaker", "This recording", "A short clip", "The voice"),
    ("says", "explains", "repeats", "asks"),
    ("that Groq runs fast models", "how audio becomes text", "that the test passed", "what the weather is like"),
)
"""A translation is one sentence, its parts chosen by the audio's bytes (the same upload, the same text)."""


async def audio_to_text(call: Call, task: Literal["transcribe", "translate"]) -> Response:
    """``POST /audio/transcriptions`` and ``/audio/translations``: text derived from the uploaded audio."""
    form = call.form
    if form is None:
        raise bad_request("The request must be multipart/form-data with 'file' and 'model' fields.")
    upload = form.get("file")
    if not isinstance(upload, UploadFile):
        raise bad_request("file must be provided", "missing_required_parameter")
    require_model(call, "transcription", "transcriptions or translations")
    audio = await upload.read()
    if not audio:
        raise bad_request("file is empty: upload the audio to transcribe", "invalid_file")
    response_format = str(form.get("response_format") or "json")
    digest = hashlib.sha256(audio).digest()
    text = " " + " ".join(words[b % len(words)] for words, b in zip(_SENTENCE, digest, strict=False)) + "."
    if task == "transcribe" and form.get("language") not in (None, "", "en"):
        text = f" [{form.get('language')}]{text}"
    if response_format == "text":
        headers = groq_headers(call, content_type="text/plain; charset=utf-8")
        return Response(text.encode(), headers=headers)
    if response_format == "json":
        return json_response(call, {"text": text, "x_groq": {"id": call.request_id}})
    if response_format == "verbose_json":
        duration = round(len(audio) / 16000, 2) or 0.01
        segment = {
            "id": 0,
            "seek": 0,
            "start": 0.0,
            "end": duration,
            "text": text,
            "tokens": [50365 + i for i in range(len(text.split()))],
            "temperature": 0.0,
            "avg_logprob": round(-0.1 - 0.2 * call.number("logprob"), 6),
            "compression_ratio": 0.8,
            "no_speech_prob": round(0.01 * call.number("nospeech"), 6),
        }
        body: dict[str, Any] = {"task": task, "language": "English", "duration": duration, "text": text}
        granularities = [str(g) for g in form.getlist("timestamp_granularities[]")] or ["segment"]
        if "word" in granularities:
            said = text.split()
            step = duration / max(1, len(said))
            body["words"] = [
                {"word": w.strip(".,"), "start": round(i * step, 2), "end": round((i + 1) * step, 2)}
                for i, w in enumerate(said)
            ]
        if "segment" in granularities:
            body["segments"] = [segment]
        body["x_groq"] = {"id": call.request_id}
        return json_response(call, body)
    raise bad_request(
        f"response_format `{response_format}` is not supported by the local server; use json, text or verbose_json.",
        "invalid_value",
    )


def _wav(text: str, sample_rate: int) -> bytes:
    """A short mono 16-bit WAV: one tone per word (deterministic)."""
    words = text.split() or [""]
    samples = bytearray()
    per_word = max(1, sample_rate // 20)
    for word in words[:40]:
        freq = 220 + 20 * (sum(map(ord, word)) % 24)
        for n in range(per_word):
            value = int(8000 * math.sin(2 * math.pi * freq * n / sample_rate))
            samples += value.to_bytes(2, "little", signed=True)
    return wav_file(bytes(samples), sample_rate)


def wav_file(samples: bytes, sample_rate: int) -> bytes:
    """A mono 16-bit WAV file holding ``samples`` (little-endian signed 16-bit frames)."""
    out = io.BytesIO()
    with wave.open(out, "wb") as wav:
        wav.setnchannels(1)
        wav.setsampwidth(2)
        wav.setframerate(sample_rate)
        wav.writeframes(samples)
    return out.getvalue()


async def speech(call: Call) -> Response:
    """``POST /audio/speech``: a WAV with one tone per word of ``input``."""
    payload = call.payload
    if payload is None:
        raise bad_request("The request body must be a JSON object.")
    text = payload.get("input")
    if not isinstance(text, str) or not text:
        raise bad_request("'input' : property 'input' is missing", "missing_required_parameter")
    require_model(call, "speech", "text to speech")
    response_format = payload.get("response_format") or "wav"
    if response_format != "wav":
        raise bad_request(
            f"response_format `{response_format}` is not supported by the local server; use wav.", "invalid_value"
        )
    sample_rate = payload.get("sample_rate") or 24000
    if sample_rate not in (8000, 16000, 22050, 24000, 32000, 44100, 48000):
        raise bad_request(f"sample_rate {sample_rate} is not one of 8000, 16000, 22050, 24000, 32000, 44100, 48000")
    headers = groq_headers(call, content_type="audio/wav", tokens_used=count_tokens(text))
    return Response(_wav(text, int(sample_rate)), headers=headers)
