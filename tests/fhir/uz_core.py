"""A small reader of the UZ Core guide's FHIR Shorthand sources (shared/uz-core/), enough
to take from them what our resources must satisfy: each profile's canonical id, its
identifier slices (system and type), its required bindings that list their codes, and the
identifiers of its example instances. The guide is the authority, not our code."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path

from django.conf import settings

ROOT = Path(settings.BASE_DIR).parent / "shared" / "uz-core" / "input" / "fsh"
CANONICAL = "https://dhp.uz/fhir/core/StructureDefinition/"
_HEADER = re.compile(r"^(Profile|Instance|ValueSet|CodeSystem|RuleSet|Extension|Alias|"
                     r"Invariant|Logical|Mapping):\s*(.+?)\s*$")


def _files():
    files = sorted(ROOT.rglob("*.fsh"))
    assert files, f"the UZ Core sources are missing at {ROOT}"
    return files


@cache
def aliases() -> dict[str, str]:
    found = {}
    for line in (ROOT / "Aliases.fsh").read_text().splitlines():
        match = re.match(r"^Alias:\s*(\$\S+)\s*=\s*(\S+)", line)
        if match:
            found[match[1]] = match[2]
    return found


@cache
def blocks() -> dict[tuple[str, str], list[str]]:
    """(kind, name) → the block's lines (header fields and rules)."""
    found, current = {}, None
    for path in _files():
        for line in path.read_text().splitlines():
            match = _HEADER.match(line)
            if match and match[1] != "Alias":
                current = found.setdefault((match[1], match[2].split("(")[0].strip()), [])
            elif current is not None:
                current.append(line.split(" //")[0].rstrip())
    return found


def _field(lines, name: str) -> str:
    return next((line.split(":", 1)[1].strip() for line in lines
                 if line.startswith(f"{name}:")), "")


def _resolve(value: str) -> str:
    value = value.strip().strip('"')
    return aliases().get(value, value)


def profile_id(profile: str) -> str:
    return _field(blocks()[("Profile", profile)], "Id")


def _rules(profile: str) -> list[str]:
    lines = list(blocks()[("Profile", profile)])
    for line in list(lines):
        inserted = re.match(r"^\* insert (\w+)", line)
        if inserted and ("RuleSet", inserted[1]) in blocks():
            lines += blocks()[("RuleSet", inserted[1])]
    return lines


def _slices(lines) -> dict[str, dict]:
    """`* identifier[name]` followed by indented `* system = …` / `* type = …` / `* value`."""
    slices, current = {}, None
    for line in lines:
        head = re.match(r"^\* identifier\[(\w+|\+|=|\d+)\]\s*$", line)
        if head:
            name = head[1]
            if name in "+=" or name.isdigit():
                name = f"#{len(slices)}"
            current = slices.setdefault(name, {})
            continue
        inner = re.match(r"^\s+\* (system|type|value|use) = (.+)$", line)
        if current is not None and inner:
            key, value = inner[1], inner[2]
            if key == "type":
                system, _hash, code = value.split('"')[0].strip().partition("#")
                current["type"] = (_resolve(system), code.strip())
            else:
                current[key] = _resolve(value) if key == "system" else value.strip('"#')
        elif not line.startswith(" "):
            current = None
    return slices


def identifier_slices(profile: str) -> dict[str, dict]:
    """The profile's identifier slices: name → {"system", "type": (system, code)}."""
    return {name: s for name, s in _slices(_rules(profile)).items() if "system" in s}


def required_codes(profile: str) -> dict[str, set[tuple[str, str]]]:
    """element path → the (system, code) pairs a required binding lists by code."""
    found = {}
    for line in _rules(profile):
        match = re.match(r"^\* (\S+) from (\w+) \(required\)", line)
        if match and ("ValueSet", match[2]) in blocks():
            codes = set()
            for rule in blocks()[("ValueSet", match[2])]:
                include = re.match(r"^\* include (\$[\w-]+)#([\w-]+)", rule)
                if include:
                    codes.add((_resolve(include[1]), include[2]))
            if codes:
                found[match[1]] = codes
    return found


def examples(profile: str) -> dict[str, list[dict]]:
    """Example instances of the profile: name → identifiers, each {"system", "value"}, the
    system taken from the profile's slice where the instance names only the slice."""
    slices = identifier_slices(profile)
    found = {}
    for (kind, name), lines in blocks().items():
        if kind != "Instance" or _field(lines, "InstanceOf") != profile:
            continue
        found[name] = [{"slice": slice_name,
                        "system": given.get("system") or slices.get(slice_name, {}).get("system"),
                        "value": given["value"]}
                       for slice_name, given in _slices(lines).items() if "value" in given]
    return found
