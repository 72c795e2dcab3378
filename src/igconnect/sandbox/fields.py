"""Graph API `fields` parameter: `id,insights.metric(reach,views),owner{id,username}`."""

from __future__ import annotations

from dataclasses import dataclass, field


@dataclass
class Field:
    name: str
    sub: list[Field] | None = None
    mods: dict[str, str] = field(default_factory=dict)


def _split(text: str) -> list[str]:
    out: list[str] = []
    cur: list[str] = []
    depth = 0
    for ch in text:
        if ch in "({":
            depth += 1
        elif ch in ")}":
            depth -= 1
        if ch == "," and depth == 0:
            out.append("".join(cur))
            cur = []
        else:
            cur.append(ch)
    out.append("".join(cur))
    return [s.strip() for s in out if s.strip()]


def parse_fields(text: str | None) -> list[Field]:
    if not text:
        return []
    fields = []
    for part in _split(text):
        sub = None
        brace = part.find("{")
        if brace >= 0 and part.endswith("}"):
            sub = parse_fields(part[brace + 1 : -1])
            part = part[:brace]
        name, *mods = part.split(".")
        f = Field(name.strip(), sub)
        for m in mods:
            key, _, rest = m.partition("(")
            f.mods[key.strip()] = rest.rstrip(")").strip()
        fields.append(f)
    return fields
