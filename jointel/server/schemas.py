"""Request and response bodies of the REST API (pydantic), documented in the OpenAPI schema at /docs."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

from jointel.annotate import Mention
from jointel.data.unicode import valid_unicode

EXAMPLE = "Germany beat Argentina in Rio de Janeiro."


Text = Annotated[str, AfterValidator(valid_unicode)]  # lone surrogates as U+FFFD: offsets kept (data.unicode)
TEXT_DESCRIPTION = (
    "Raw English text, any length up to the server's limit (HTTP 413 above it). A lone surrogate (an escaped half "
    "of a UTF-16 pair) is read as U+FFFD, so offsets and mention texts count the text's code points as sent."
)


class SpanIn(BaseModel):
    """A mention the caller found: characters [start, end) of the text."""

    model_config = ConfigDict(extra="forbid")
    start: int = Field(ge=0)
    end: int = Field(gt=0)


class AnnotateRequest(BaseModel):
    model_config = ConfigDict(extra="forbid", json_schema_extra={"examples": [{"text": EXAMPLE}]})
    text: Text = Field(description=TEXT_DESCRIPTION)
    spans: list[SpanIn] | None = Field(
        default=None, description="Link only these mentions (disambiguation); omit to find the mentions too."
    )
    nil_threshold: float | None = Field(
        default=None, ge=0, le=1, description="A link with probability below this becomes NIL."
    )
    top_k: int = Field(default=0, ge=0, le=100, description="Also return each mention's top-k candidates.")


class Candidate(BaseModel):
    entity: str = Field(description="Wikipedia title.")
    probability: float


class MentionOut(BaseModel):
    start: int = Field(description="Character offset of the first character.")
    end: int = Field(description="Character offset after the last character.")
    text: str
    label: str = Field(description="PER | LOC | ORG | MISC")
    entity: str | None = Field(description="Wikipedia title, or null for NIL (not in the knowledge base).")
    url: str | None = Field(description="The entity's English Wikipedia page, null for NIL.")
    ner_score: float = Field(description="Probability of the mention's span and type.")
    el_score: float = Field(description="Probability of the chosen entity (of NIL for a NIL mention).")
    candidates: list[Candidate] = Field(default=[], description="The top-k candidates, best first (top_k > 0).")

    @classmethod
    def of(cls, mention: Mention) -> MentionOut:
        return cls(
            start=mention.start,
            end=mention.end,
            text=mention.text,
            label=mention.label,
            entity=mention.entity,
            url=mention.url,
            ner_score=mention.ner_score,
            el_score=mention.el_score,
            candidates=[Candidate(entity=entity, probability=p) for entity, p in mention.candidates],
        )


class AnnotateResponse(BaseModel):
    mentions: list[MentionOut]


class RelRequest(BaseModel):
    """The body REL's API takes: text, and optionally the mentions to link as [start, length] pairs."""

    model_config = ConfigDict(json_schema_extra={"examples": [{"text": EXAMPLE, "spans": []}]})
    text: Text = Field(description=TEXT_DESCRIPTION)
    spans: list[tuple[int, int]] = Field(default=[], description="[start, length] pairs; empty: find the mentions.")


RelMention = tuple[int, int, str, str, float, float, str]  # start, length, mention, entity or NIL, ed, ner, tag


def rel_row(mention: Mention) -> RelMention:
    """REL's answer for one mention: [start, length, mention, entity, ed_score, ner_score, tag]."""
    return (
        mention.start,
        mention.end - mention.start,
        mention.text,
        mention.entity or "NIL",
        mention.el_score,
        mention.ner_score,
        mention.label,
    )


class Health(BaseModel):
    status: str = Field(examples=["ok"], description="ok, or error (HTTP 503) when the server cannot annotate.")
    max_chars: int = Field(description="Longest text accepted.")
    max_spans: int = Field(description="Most spans one request may ask to link.")
    detail: str | None = Field(default=None, description="What is wrong, when status is error.")
