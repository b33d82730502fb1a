"""Response synthesizer: a plausible value for any JSON Schema 2020-12 (OpenAPI 3.1) schema.

An operation without a built-in behaviour still answers as a mock: with the contract's example, or
with a value :class:`Synthesizer` generates from the response schema. The schema must already be
dereferenced (no ``$ref`` left); a recursive schema is then a cyclic object graph, which is fine.

Rules, in order of precedence for one schema:

1. ``const`` → it; ``examples`` (list) / ``example`` / ``default`` → a seeded choice among them.
2. ``allOf`` → the subschemas are merged (properties, required, bounds, types, enums…) and generated
   as one; ``oneOf`` / ``anyOf`` → a seeded choice of a branch (sibling keywords are merged in).
3. ``enum`` → a seeded choice.
4. ``type`` (a list prefers its first non-null type; no type → inferred from the keywords present):
   objects (required properties, optional ones with probability ½, ``minProperties`` /
   ``maxProperties``, ``dependentRequired``, maps from ``additionalProperties`` /
   ``patternProperties``), arrays (``minItems``..min(``maxItems``, ``minItems`` + 3), ``uniqueItems``,
   ``prefixItems``, ``contains``), strings (``format``; else a realistic value picked from the
   property name — mobile, ID number, bank card (as :mod:`simulator.domain` defines them), name,
   address… — when it also satisfies ``pattern`` and the lengths; else ``pattern`` via rstr; else the
   name-based value cut to ``maxLength``; else a short word), integers and numbers (inclusive and
   exclusive bounds, ``multipleOf``; numbers have two decimals unless ``multipleOf`` says otherwise),
   booleans, ``null``.

Nesting is capped at :data:`MAX_DEPTH` objects/arrays: below it a value is the smallest valid one
(required properties only, ``minItems`` items, ``null`` where allowed). A schema that needs deeper
nesting than that to be satisfied at all raises :class:`SynthesisError`.

Determinism: every random choice comes from one :class:`random.Random` (plus Faker, seeded with
``Faker.seed_instance``) seeded by ``seed``; dates are drawn around ``as_of``, never around today, so
the same seed and the same sequence of calls give the same values on any day and machine (for a
given Faker version). Values depend on the order of calls: reseed before a call to make it
independent of earlier ones.

Limits (documented, not bugs):

* ``not``, ``if``/``then``/``else``, ``dependentSchemas``, ``unevaluatedItems``, ``maxContains`` and
  ``$dynamicRef`` are ignored; a value may therefore break them.
* ``oneOf`` exclusivity is guaranteed only when the branches are told apart by a top-level
  ``const``/``enum`` or by a property whose ``const``/``enum`` values differ between branches (the
  OpenAPI ``discriminator.propertyName`` is tried first): the value then carries a value of that
  property that no sibling accepts. Other branches that overlap (two object shapes that both accept
  the value, ``integer`` next to ``number``) may yield a value that matches more than one branch.
* ``allOf``: two different ``pattern`` values are both checked (generation follows the first);
  other conflicting keywords that cannot be combined (``format``, nested ``oneOf``/``anyOf`` in more
  than one subschema, ``prefixItems``) keep the first subschema's. Examples and defaults of allOf
  subschemas are not used (they need not satisfy the siblings).
* Regular expressions are generated with Python's ``re`` syntax; ECMA-262-only syntax (``\\p{…}``,
  ``(?<name>…)``) raises :class:`SynthesisError`. A pattern that rstr cannot satisfy together with
  ``minLength``/``maxLength`` within a few tries raises :class:`SynthesisError`.
* A string with both ``format`` and ``pattern`` gets the format's value when it matches the pattern,
  else the pattern's (which may then break the format).
* Contract examples and defaults are returned as they are, without validation.
* Optional ``writeOnly`` properties are left out (responses should not carry them).
* ``unevaluatedProperties: false`` only stops extra keys from being added.
* An extra key generated for ``patternProperties`` is checked against the pattern it was generated
  from only; ``propertyNames`` constrains generated extra keys, not declared ones.
* ``discriminator.mapping`` is not used (after dereferencing it names nothing); branches need a
  ``const``/``enum`` on the discriminator property to be told apart.
* The compiled form of a schema is cached by object identity: do not mutate a schema after passing
  it in. A :class:`Synthesizer` is not thread-safe.
"""

from __future__ import annotations

import base64
import contextlib
import importlib
import math
import random
import re
import string
import uuid
from collections.abc import Callable, Mapping, Sequence
from datetime import date, timedelta
from decimal import Decimal
from fractions import Fraction
from typing import Any, Final

import rstr
from faker import Faker

from simulator.domain import area_code, mobile, resident_id, unionpay_card
from simulator.errors import LendsimError

__all__ = ["MAX_DEPTH", "SynthesisError", "Synthesizer"]

MAX_DEPTH: Final = 8
"""Objects/arrays nested deeper than this get their smallest valid value."""

_HARD_DEPTH: Final = MAX_DEPTH + 32
_CACHE_LIMIT: Final = 20_000
_PATTERN_TRIES: Final = 30
_UNIQUE_TRIES: Final = 20
_DATE_SPREAD_DAYS: Final = 180
_OFFSET: Final = "+08:00"

_Gen = Callable[[int], Any]

_sre_parse: Any = importlib.import_module("re._parser")


class SynthesisError(LendsimError, ValueError):
    """No value could be generated for a schema (unsatisfiable, unsupported, or too deep)."""


# --------------------------------------------------------------------------------------------
# JSON helpers


def _copy(value: Any) -> Any:
    """A fresh JSON value equal to ``value`` (so callers may mutate what they get)."""
    if isinstance(value, Mapping):
        return {k: _copy(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_copy(v) for v in value]
    return value


def _is_scalar(value: Any) -> bool:
    return value is None or isinstance(value, str | int | float | bool)


def _freeze(value: Any) -> Any:
    """A hashable key with JSON Schema equality (1 == 1.0, true != 1, key order irrelevant)."""
    if isinstance(value, bool):
        return ("b", value)
    if isinstance(value, int | float):
        return ("n", value)
    if isinstance(value, str):
        return ("s", value)
    if value is None:
        return ("z",)
    if isinstance(value, Mapping):
        return ("o", frozenset((k, _freeze(v)) for k, v in value.items()))
    if isinstance(value, list | tuple):
        return ("a", tuple(_freeze(v) for v in value))
    return ("?", repr(value))


def _json_eq(a: Any, b: Any) -> bool:
    return bool(_freeze(a) == _freeze(b))


def _type_list(value: Any) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, Sequence):
        return [str(t) for t in value]
    raise SynthesisError(f"`type` must be a string or a list of strings, got {value!r}")


_OBJECT_HINTS: Final = frozenset(
    {
        "properties",
        "required",
        "additionalProperties",
        "patternProperties",
        "minProperties",
        "maxProperties",
        "dependentRequired",
        "propertyNames",
        "unevaluatedProperties",
    }
)
_ARRAY_HINTS: Final = frozenset(
    {"items", "prefixItems", "minItems", "maxItems", "uniqueItems", "contains", "minContains"}
)
_STRING_HINTS: Final = frozenset({"minLength", "maxLength", "pattern"})
_NUMBER_HINTS: Final = frozenset({"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"})


def _schema_types(schema: Mapping[str, Any]) -> list[str] | None:
    """The schema's types (declared or inferred from its keywords); None when unconstrained."""
    if "type" in schema:
        types = _type_list(schema["type"])
    else:
        keys = schema.keys()
        fmt = schema.get("format")
        if not _OBJECT_HINTS.isdisjoint(keys):
            types = ["object"]
        elif not _ARRAY_HINTS.isdisjoint(keys):
            types = ["array"]
        elif fmt in ("int32", "int64"):
            types = ["integer"]
        elif fmt in ("float", "double"):
            types = ["number"]
        elif not _STRING_HINTS.isdisjoint(keys) or isinstance(fmt, str):
            types = ["string"]
        elif not _NUMBER_HINTS.isdisjoint(keys):
            types = ["number"]
        else:
            return None
    if schema.get("nullable") is True and "null" not in types:  # OpenAPI 3.0 leftover
        types = [*types, "null"]
    return types


# --------------------------------------------------------------------------------------------
# allOf merging

_LOWER_BOUNDS: Final = frozenset(
    {"minimum", "exclusiveMinimum", "minLength", "minItems", "minProperties", "minContains"}
)
_UPPER_BOUNDS: Final = frozenset(
    {"maximum", "exclusiveMaximum", "maxLength", "maxItems", "maxProperties", "maxContains"}
)
_SUBSCHEMA_AND: Final = frozenset(
    {
        "additionalProperties",
        "unevaluatedProperties",
        "items",
        "contains",
        "propertyNames",
        "unevaluatedItems",
    }
)
_MERGE_SKIP: Final = frozenset({"allOf", "examples", "example", "default"})
_ANNOTATIONS: Final = frozenset(
    {
        "title",
        "description",
        "$comment",
        "$id",
        "$schema",
        "$anchor",
        "$defs",
        "definitions",
        "deprecated",
        "externalDocs",
        "xml",
        "discriminator",
        "examples",
        "example",
        "default",
        "readOnly",
        "writeOnly",
    }
)
_ALSO_PATTERNS: Final = "x-lendsim-also-patterns"
"""Merged-schema-only key: further patterns (from allOf) a string must also match."""


def _flatten(schema: Any, out: list[Mapping[str, Any]], level: int) -> None:
    if schema is True:
        return
    if schema is False:
        raise SynthesisError("an allOf subschema is `false`: no value satisfies it; fix the contract")
    if not isinstance(schema, Mapping):
        raise SynthesisError(f"not a schema: {schema!r}")
    if level > _HARD_DEPTH:
        raise SynthesisError(f"allOf nested more than {_HARD_DEPTH} levels deep (a cycle through allOf?)")
    out.append(schema)
    subs = schema.get("allOf")
    if subs is not None:
        for sub in subs:
            _flatten(sub, out, level + 1)


def _and_schemas(a: Any, b: Any) -> Any:
    if a is False or b is False:
        return False
    if a is True or a is b:
        return b
    if b is True:
        return a
    return {"allOf": [a, b]}


def _intersect_types(a: Any, b: Any) -> Any:
    la, lb = _type_list(a), _type_list(b)
    res = [t for t in la if t in lb or (t == "integer" and "number" in lb)]
    res += [t for t in lb if t == "integer" and "number" in la and t not in res]
    if not res:
        raise SynthesisError(f"allOf asks for type {a!r} and type {b!r} at once: no value is both")
    return res[0] if len(res) == 1 else res


def _multiple_lcm(a: Any, b: Any) -> Any:
    fa, fb = Fraction(str(a)), Fraction(str(b))
    lcm = Fraction(math.lcm(fa.numerator, fb.numerator), math.gcd(fa.denominator, fb.denominator))
    return int(lcm) if lcm.denominator == 1 else float(lcm)


def _merge_key(key: str, cur: Any, val: Any) -> Any:
    if key in _LOWER_BOUNDS or key in _UPPER_BOUNDS:
        if isinstance(cur, bool) or isinstance(val, bool):  # OpenAPI 3.0 boolean exclusiveMinimum
            return bool(cur) or bool(val)
        return max(cur, val) if key in _LOWER_BOUNDS else min(cur, val)
    if key == "type":
        return _intersect_types(cur, val)
    if key == "required":
        return [*cur, *(v for v in val if v not in cur)]
    if key in ("properties", "patternProperties"):
        merged = dict(cur)
        for k, v in val.items():
            merged[k] = _and_schemas(merged[k], v) if k in merged else v
        return merged
    if key == "dependentRequired":
        deps = dict(cur)
        for k, v in val.items():
            deps[k] = [*deps.get(k, ()), *v]
        return deps
    if key in _SUBSCHEMA_AND:
        return _and_schemas(cur, val)
    if key in ("uniqueItems", "readOnly", "writeOnly"):
        return bool(cur) or bool(val)
    if key == "enum":
        both = [x for x in cur if any(_json_eq(x, y) for y in val)]
        if not both:
            raise SynthesisError(f"allOf combines enums {cur!r} and {val!r} that share no value")
        return both
    if key == "const":
        if not _json_eq(cur, val):
            raise SynthesisError(f"allOf asks for const {cur!r} and const {val!r} at once")
        return cur
    if key == "multipleOf":
        return _multiple_lcm(cur, val)
    return cur  # first wins (format, oneOf, anyOf, prefixItems, annotations…)


def _merge(parts: Sequence[Any]) -> dict[str, Any]:
    """One schema equivalent (within the documented limits) to ``allOf: parts``, without allOf."""
    flat: list[Mapping[str, Any]] = []
    for part in parts:
        _flatten(part, flat, 0)
    out: dict[str, Any] = {}
    closed: list[tuple[frozenset[str], tuple[str, ...]]] = []
    for part in flat:
        if part.get("additionalProperties") is False:
            names = frozenset(part.get("properties") or ())
            closed.append((names, tuple(part.get("patternProperties") or ())))
        for key, val in part.items():
            if key in _MERGE_SKIP:
                continue
            if key not in out:
                if key == "required":
                    out[key] = list(dict.fromkeys(val))
                elif key in ("properties", "patternProperties", "dependentRequired"):
                    out[key] = dict(val)
                else:
                    out[key] = val
            elif key == "pattern":
                if val != out[key]:
                    out[_ALSO_PATTERNS] = [*out.get(_ALSO_PATTERNS, ()), val]
            else:
                out[key] = _merge_key(key, out[key], val)
    if closed:

        def allowed(k: str) -> bool:
            return all(k in names or any(re.search(p, k) for p in pats) for names, pats in closed)

        if "properties" in out:
            out["properties"] = {k: v for k, v in out["properties"].items() if allowed(k)}
        for k in out.get("required", ()):
            if not allowed(k):
                raise SynthesisError(
                    f"allOf requires property {k!r} but a subschema with additionalProperties: false "
                    "does not declare it; declare it there or drop additionalProperties: false"
                )
        out["additionalProperties"] = False
    return out


# --------------------------------------------------------------------------------------------
# oneOf discriminators


def _values_of(schema: Any) -> list[Any] | None:
    if not isinstance(schema, Mapping):
        return None
    if "const" in schema:
        return [schema["const"]]
    enum = schema.get("enum")
    if isinstance(enum, list) and enum:
        return list(enum)
    return None


def _exclusive(values: list[list[Any]]) -> list[list[Any]] | None:
    """For each branch, the values no other branch accepts; None if a branch has none."""
    frozen = [[_freeze(v) for v in vs] for vs in values]
    out: list[list[Any]] = []
    for i, vs in enumerate(values):
        others: set[Any] = set()
        for j, fs in enumerate(frozen):
            if j != i:
                others.update(fs)
        own = [v for v, f in zip(vs, frozen[i], strict=True) if f not in others]
        if not own:
            return None
        out.append(own)
    return out


def _find_discriminator(
    schema: Mapping[str, Any], views: list[Mapping[str, Any]]
) -> tuple[str | None, list[list[Any]]] | None:
    tops = [_values_of(v) for v in views]
    if all(t is not None for t in tops):
        ex = _exclusive([t for t in tops if t is not None])
        if ex is not None:
            return None, ex
    props = [v.get("properties") for v in views]
    if not all(isinstance(p, Mapping) for p in props):
        return None
    candidates: list[str] = []
    disc = schema.get("discriminator")
    if isinstance(disc, Mapping) and isinstance(disc.get("propertyName"), str):
        candidates.append(disc["propertyName"])
    candidates += [k for k in props[0] if k not in candidates]  # type: ignore[union-attr]
    for key in candidates:
        vals = [_values_of(p.get(key)) for p in props]  # type: ignore[union-attr]
        if all(v is not None for v in vals):
            ex = _exclusive([v for v in vals if v is not None])
            if ex is not None:
                return key, ex
    return None


def _is_terminal(view: Mapping[str, Any]) -> bool:
    """Whether a branch's value can be produced without nesting further (for the depth cap)."""
    if "const" in view or "enum" in view or "examples" in view or "example" in view:
        return True
    if "oneOf" in view or "anyOf" in view:
        return False
    types = _schema_types(view)
    return types is None or "null" in types or not ({"object", "array"} & set(types))


# --------------------------------------------------------------------------------------------
# Realistic values

_TOKEN_SPLIT: Final = re.compile(r"[^A-Za-z0-9]+")
_CAMEL_1: Final = re.compile(r"([a-z0-9])([A-Z])")
_CAMEL_2: Final = re.compile(r"([A-Z]+)([A-Z][a-z])")


def _tokens(name: str) -> list[str]:
    spaced = _CAMEL_2.sub(r"\1 \2", _CAMEL_1.sub(r"\1 \2", name))
    return [t.lower() for t in _TOKEN_SPLIT.split(spaced) if t]


_NUMBERISH: Final = frozenset({"no", "num", "number", "code", "id"})


def _name_kind(name: str | None) -> str | None:
    """Which realistic generator a property name asks for (None: no opinion)."""
    if not name:
        return None
    toks = _tokens(name)
    if not toks:
        return None
    ts = set(toks) | {t[:-1] for t in toks if t.endswith("s") and len(t) > 3 and not t.endswith("ss")}
    last = toks[-1]
    after_id = {toks[i + 1] for i, t in enumerate(toks[:-1]) if t == "id"}
    if (
        ts & {"idcard", "idno", "idnum", "idnumber", "certno", "certnum", "certid", "identityno"}
        or ("cert" in ts and ts & _NUMBERISH)
        or after_id & {"no", "num", "number", "card"}
        or ("identity" in ts and ts & {"no", "num", "number", "card"})
    ):
        return "id_card"
    if (
        ts & {"bankcard", "cardno", "acctno", "accountno", "cardnum"}
        or ("card" in ts and ts & {"bank", "no", "num", "number"})
        or (ts & {"acct", "account"} and ts & {"no", "num", "number"})
    ):
        return "bank_card"
    if ts & {"mobile", "phone", "tel", "telephone", "cellphone", "mobileno", "phoneno"}:
        return "mobile"
    if ts & {"email", "mail"}:
        return "email"
    if "ip" in ts:
        return "ipv4"
    if ts & {"birth", "birthday", "dob", "birthdate"}:
        return "birth"
    if last == "name" or last == "names":
        if ts & {"company", "corp", "enterprise", "employer", "org", "merchant", "partner", "institution"}:
            return "company"
        if "bank" in ts:
            return "bank"
        if ts & {"product", "file", "app", "channel", "device", "plan", "item", "template", "scene", "field"}:
            return None
        return "person"
    if ts & {"address", "addr"}:
        return "address"
    if ts & {"company", "corp", "enterprise", "employer"}:
        return "company"
    if "city" in ts:
        return "city"
    if "province" in ts:
        return "province"
    if ts & {"zip", "zipcode", "postcode", "postal"}:
        return "postcode"
    if ts & {"url", "uri", "link", "callback", "website", "homepage"}:
        return "url"
    if ts & {
        "remark",
        "remarks",
        "desc",
        "description",
        "memo",
        "message",
        "msg",
        "comment",
        "note",
        "reason",
        "purpose",
        "summary",
    }:
        return "text"
    if last in ("amount", "amt", "balance", "principal", "interest", "fee", "price", "money", "penalty"):
        return "amount"
    if last in ("date", "day"):
        return "date"
    if last in ("time", "at", "timestamp", "datetime"):
        return "datetime"
    if last in ("no", "id", "sn", "serial", "seq") or ts & {"serialno", "orderno", "traceid", "requestid"}:
        return "serial"
    return None


_FREE_TEXT_KINDS: Final = frozenset({"person", "address", "company", "bank", "city", "province", "text"})
"""Kinds whose value may be cut to maxLength and stay meaningful."""

_CARD_BINS: Final = ("621700", "622202", "622848", "621226", "622588", "621483", "622700", "623668")
_CARD_LENGTHS: Final = (16, 16, 17, 18, 19, 19, 19)
_LOWER: Final = string.ascii_lowercase
_UPPER: Final = string.ascii_uppercase
_ALNUM: Final = string.ascii_letters + string.digits


# --------------------------------------------------------------------------------------------
# rstr, made deterministic across processes and bounded


_DOT_CHARS: Final = "".join(c for c in string.printable if c not in "\n\r")
_NONWORD: Final = "".join(c for c in string.printable if c not in string.ascii_letters + string.digits + "_")


class _Xeger(rstr.Rstr):
    """rstr's Xeger without hash-order dependence (negated classes, ``\\W``), with bounded repeats.

    ``open_extra`` caps how many repetitions a quantifier may add above its minimum.
    """

    def __init__(self, rnd: random.Random) -> None:
        super().__init__(rnd, nonword=_NONWORD)
        self.open_extra = 8
        self._classes: dict[int, tuple[Any, bool, list[tuple[int, int]], int]] = {}
        self._cases = {**self._cases, "any": lambda _x: self._random.choice(_DOT_CHARS)}

    def generate(self, parsed: Any) -> str:
        try:
            return self._build_string(parsed)
        finally:
            self._cache.clear()

    def _handle_repeat(self, start_range: int, end_range: int, value: str) -> str:
        return super()._handle_repeat(start_range, min(end_range, start_range + self.open_extra), value)

    def _handle_in(self, value: Any) -> Any:
        hit = self._classes.get(id(value))
        if hit is None or hit[0] is not value:
            negate = False
            spans: list[tuple[int, int]] = []
            for op, arg in value:
                kind = op.name.lower()
                if kind == "negate":
                    negate = True
                elif kind == "literal":
                    spans.append((arg, arg))
                elif kind == "range":
                    spans.append((arg[0], arg[1]))
                elif kind == "category":
                    spans += [(ord(c), ord(c)) for c in self._categories[arg.name.lower()]()]
                else:  # pragma: no cover - the regex parser puts only NEGATE, LITERAL, RANGE and CATEGORY in a class
                    raise SynthesisError(f"unsupported character class element {kind!r}")
            total = sum(hi - lo + 1 for lo, hi in spans)
            hit = (value, negate, spans, total)
            self._classes[id(value)] = hit
        _, negate, spans, total = hit
        if negate:
            allowed = [c for c in string.printable if not any(lo <= ord(c) <= hi for lo, hi in spans)]
            return self._random.choice(allowed)
        r = self._random.randrange(total)
        for lo, hi in spans:
            if r <= hi - lo:
                return chr(lo + r)
            r -= hi - lo + 1
        # Left out of coverage, unreachable: r < total, the spans' sizes summed, so the loop returns first.
        raise AssertionError("unreachable")  # pragma: no cover


# --------------------------------------------------------------------------------------------
# Numbers


def _num(value: Any, keyword: str) -> Fraction | None:
    if value is None or isinstance(value, bool):
        return None
    if not isinstance(value, int | float) or (isinstance(value, float) and not math.isfinite(value)):
        raise SynthesisError(f"`{keyword}` must be a finite number, got {value!r}")
    return Fraction(str(value)) if isinstance(value, float) else Fraction(value)


def _bounds(schema: Mapping[str, Any]) -> tuple[Fraction | None, bool, Fraction | None, bool]:
    lo, lo_ex = _num(schema.get("minimum"), "minimum"), False
    hi, hi_ex = _num(schema.get("maximum"), "maximum"), False
    xlo, xhi = schema.get("exclusiveMinimum"), schema.get("exclusiveMaximum")
    if xlo is True:
        lo_ex = lo is not None
    elif (x := _num(xlo, "exclusiveMinimum")) is not None and (lo is None or x >= lo):
        lo, lo_ex = x, True
    if xhi is True:
        hi_ex = hi is not None
    elif (x := _num(xhi, "exclusiveMaximum")) is not None and (hi is None or x <= hi):
        hi, hi_ex = x, True
    return lo, lo_ex, hi, hi_ex


def _k_range(
    lo: Fraction | None, lo_ex: bool, hi: Fraction | None, hi_ex: bool, step: Fraction, width: int
) -> tuple[int, int] | None:
    """Range of k such that k * step lies within the bounds (a default span where unbounded)."""
    k_lo = None if lo is None else (math.floor(lo / step) + 1 if lo_ex else math.ceil(lo / step))
    k_hi = None if hi is None else (math.ceil(hi / step) - 1 if hi_ex else math.floor(hi / step))
    span = max(1, math.floor(width / step))
    if k_lo is None and k_hi is None:
        k_lo, k_hi = 0, span
    elif k_lo is None:
        assert k_hi is not None
        k_lo = max(0, k_hi - span) if k_hi >= 0 else k_hi - span
    elif k_hi is None:
        k_hi = k_lo + span
    return (k_lo, k_hi) if k_lo <= k_hi else None


def _decimals(step: Any) -> int:
    exponent = Decimal(str(step)).as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


# --------------------------------------------------------------------------------------------
# The synthesizer


class _Lazy:
    """A compiled generator, compiled on first use (lets cyclic schemas compile lazily)."""

    __slots__ = ("_compile", "gen")

    def __init__(self, compile_: Callable[[], _Gen]) -> None:
        self._compile = compile_
        self.gen: _Gen = self._first

    def _first(self, depth: int) -> Any:
        self.gen = self._compile()
        return self.gen(depth)


class Synthesizer:
    """Generates values that validate against JSON Schema 2020-12 / OpenAPI 3.1 schemas.

    ``seed`` seeds every random choice; ``locale`` is Faker's locale for realistic strings;
    ``as_of`` is the day generated dates and times are drawn around (never the wall clock).
    """

    def __init__(self, seed: int = 0, *, locale: str = "zh_CN", as_of: date = date(2019, 5, 1)) -> None:
        self._seed = seed
        self._locale = locale
        self._as_of = as_of
        self._rng = random.Random(seed)
        self._faker = Faker(locale)
        self._faker.seed_instance(self._faker_seed(seed))
        self._xeger = _Xeger(self._rng)
        self._nodes: dict[tuple[int, str | None], tuple[object, _Lazy]] = {}
        self._names = self._name_tables()
        self._places = self._place_tables()
        self._kinds: dict[str, Callable[[], str]] = {
            "person": self._person_name,
            "mobile": self._mobile,
            "id_card": self._id_card,
            "bank_card": self._bank_card,
            "address": self._address if self._places is not None else self._faker_fn("address"),
            "company": self._faker_fn("company"),
            "bank": self._faker_fn("bank", "company"),
            "email": self._faker_fn("email"),
            "url": self._faker_fn("url"),
            "city": self._faker_fn("city"),
            "province": self._faker_fn("province", "state", "city"),
            "postcode": self._faker_fn("postcode"),
            "text": self._faker_fn("sentence"),
            "ipv4": self._ipv4,
            "birth": lambda: self._birth_date().isoformat(),
            "date": self._date,
            "datetime": self._datetime,
            "amount": self._amount,
            "serial": self._serial,
        }

    # -- public API ---------------------------------------------------------------------------

    @property
    def seed(self) -> int:
        """The seed last set by the constructor or :meth:`reseed`."""
        return self._seed

    @property
    def locale(self) -> str:
        return self._locale

    @property
    def as_of(self) -> date:
        return self._as_of

    def reseed(self, seed: int) -> None:
        """Restart every random stream from ``seed`` (compiled schemas are kept)."""
        self._seed = seed
        self._rng.seed(seed)
        self._faker.seed_instance(self._faker_seed(seed))

    def value(self, schema: Mapping[str, Any], *, name: str | None = None) -> Any:
        """A value valid against ``schema``; ``name`` is the property name, for realistic strings.

        Raises :class:`SynthesisError` when the schema cannot be satisfied (or uses an unsupported
        construct in a way that prevents it).
        """
        try:
            return self._node(schema, name).gen(0)
        except RecursionError as exc:
            raise SynthesisError(
                "the schema refers to itself without nesting (a cycle through oneOf/anyOf/allOf?); "
                "break the cycle in the contract"
            ) from exc

    # -- compilation ----------------------------------------------------------------------------

    def _faker_fn(self, *names: str) -> Callable[[], str]:
        """The first of Faker's providers ``names`` that this locale has (the last one always exists)."""
        for name in names[:-1]:
            fn = getattr(self._faker, name, None)
            if callable(fn):
                return lambda: str(fn())
        last = getattr(self._faker, names[-1])
        return lambda: str(last())

    @staticmethod
    def _faker_seed(seed: int) -> str:
        return f"lendsim-synth-faker:{seed}"

    def _node(self, schema: Any, name: str | None) -> _Lazy:
        key = (id(schema), name)
        hit = self._nodes.get(key)
        if hit is not None:
            return hit[1]
        if len(self._nodes) >= _CACHE_LIMIT:
            self._nodes.clear()
        node = _Lazy(lambda: self._compile(schema, name))
        self._nodes[key] = (schema, node)  # keeps the schema alive so its id is not reused
        return node

    def _compile(self, schema: Any, name: str | None) -> _Gen:
        if schema is True:
            return self._c_any(name)
        if schema is False:
            raise SynthesisError("the schema is `false`: no value satisfies it; fix the contract")
        if not isinstance(schema, Mapping):
            raise SynthesisError(f"not a schema (expected a mapping or a boolean): {schema!r}")
        if "const" in schema:
            const = schema["const"]
            return lambda _d: _copy(const)
        pool: list[Any] = []
        examples = schema.get("examples")
        if isinstance(examples, list):
            pool += examples
        if "example" in schema:
            pool.append(schema["example"])
        if "default" in schema:
            pool.append(schema["default"])
        if pool:
            return self._c_pick(pool)
        if "allOf" in schema:
            return self._compile(_merge([schema]), name)
        if "oneOf" in schema:
            return self._c_branches(schema, name, "oneOf")
        if "anyOf" in schema:
            return self._c_branches(schema, name, "anyOf")
        if "enum" in schema:
            enum = schema["enum"]
            if not isinstance(enum, list) or not enum:
                raise SynthesisError(f"`enum` must be a non-empty list, got {enum!r}")
            return self._c_pick(enum)
        types = _schema_types(schema)
        if types is None:
            return self._c_any(name)
        non_null = [t for t in types if t != "null"]
        if not non_null:
            if not types:
                raise SynthesisError("`type` is an empty list: no value satisfies it")
            return lambda _d: None
        gen = self._c_typed(non_null[0], schema, name)
        if "null" not in types:
            return gen

        def nullable(depth: int) -> Any:
            return None if depth >= MAX_DEPTH else gen(depth)

        return nullable

    def _c_typed(self, type_: str, schema: Mapping[str, Any], name: str | None) -> _Gen:
        if type_ == "object":
            return self._c_object(schema, name)
        if type_ == "array":
            return self._c_array(schema, name)
        if type_ == "string":
            return self._c_string(schema, name)
        if type_ == "integer":
            return self._c_integer(schema)
        if type_ == "number":
            return self._c_number(schema)
        if type_ == "boolean":
            rnd = self._rng.random
            return lambda _d: rnd() < 0.5
        raise SynthesisError(f"unknown type {type_!r}; use one of the JSON Schema types")

    def _c_pick(self, pool: list[Any]) -> _Gen:
        if len(pool) == 1:
            only = pool[0]
            if _is_scalar(only):
                return lambda _d: only
            return lambda _d: _copy(only)
        choice = self._rng.choice
        values = tuple(pool)
        if all(_is_scalar(v) for v in values):
            return lambda _d: choice(values)
        return lambda _d: _copy(choice(values))

    def _c_any(self, name: str | None) -> _Gen:
        kind = _name_kind(name)
        fn = self._kinds.get(kind) if kind else None
        if fn is not None:
            return lambda _d: fn()
        word = self._faker.word
        return lambda _d: word()

    def _c_branches(self, schema: Mapping[str, Any], name: str | None, key: str) -> _Gen:
        raw = schema[key]
        if not isinstance(raw, list) or not raw:
            raise SynthesisError(f"`{key}` must be a non-empty list of schemas, got {raw!r}")
        branches = [b for b in raw if b is not False]
        if not branches:
            raise SynthesisError(f"every `{key}` branch is `false`: no value satisfies it")
        base = {k: v for k, v in schema.items() if k != key and k not in _ANNOTATIONS}
        if base:
            branches = [_merge([base, b]) for b in branches]
        nodes = [self._node(b, name) for b in branches]
        views: list[Mapping[str, Any]] = [
            (_merge([b]) if "allOf" in b else b) if isinstance(b, Mapping) else {} for b in branches
        ]
        preferred = next((i for i, v in enumerate(views) if _is_terminal(v)), 0)
        disc = _find_discriminator(schema, views) if key == "oneOf" and len(nodes) > 1 else None
        n = len(nodes)
        randrange, choice = self._rng.randrange, self._rng.choice

        if disc is None:

            def pick(depth: int) -> Any:
                i = preferred if depth >= MAX_DEPTH else (randrange(n) if n > 1 else 0)
                return nodes[i].gen(depth)

            return pick

        prop, exclusive = disc
        if prop is None:

            def pick_value(depth: int) -> Any:
                i = preferred if depth >= MAX_DEPTH else randrange(n)
                return _copy(choice(exclusive[i]))

            return pick_value

        def pick_tagged(depth: int) -> Any:
            i = preferred if depth >= MAX_DEPTH else randrange(n)
            value = nodes[i].gen(depth)
            if isinstance(value, dict):
                value[prop] = _copy(choice(exclusive[i]))
            return value

        return pick_tagged

    # -- objects --------------------------------------------------------------------------------

    def _c_object(self, schema: Mapping[str, Any], name: str | None) -> _Gen:
        props: Mapping[str, Any] = schema.get("properties") or {}
        required = list(dict.fromkeys(schema.get("required") or ()))
        addl = schema.get("additionalProperties", True)
        closed = addl is False or schema.get("unevaluatedProperties", True) is False
        try:
            pattern_props = [(p, re.compile(p), s) for p, s in (schema.get("patternProperties") or {}).items()]
        except re.error as exc:
            raise SynthesisError(f"a patternProperties key is not a usable regex: {exc}") from exc
        min_p = int(schema.get("minProperties", 0))
        max_p = schema.get("maxProperties")
        dep_req: Mapping[str, Sequence[str]] = schema.get("dependentRequired") or {}
        if max_p is not None and len(required) > max_p:
            raise SynthesisError(f"{len(required)} required properties but maxProperties is {max_p}")

        def schema_for(key: str) -> Any:
            matches = [s for _p, rx, s in pattern_props if rx.search(key)]
            if key in props:
                base = props[key]
            elif matches:
                base = matches.pop(0)
            elif addl is False:
                raise SynthesisError(
                    f"property {key!r} is required but not declared, and additionalProperties is false; "
                    "declare it under properties"
                )
            else:
                base = addl
            return {"allOf": [base, *matches]} if matches else base

        entries: list[tuple[str, _Lazy, bool, bool]] = []
        by_key: dict[str, _Lazy] = {}
        req_set = set(required)
        dependents = [d for ds in dep_req.values() for d in ds]
        for key in dict.fromkeys([*props, *required, *dependents]):
            if key not in props and key not in req_set:
                # only a dependentRequired target: made when its trigger is present, never on its own
                with contextlib.suppress(SynthesisError):
                    by_key[key] = self._node(schema_for(key), key)
                continue
            sub = schema_for(key)
            if sub is False:
                if key in req_set:
                    raise SynthesisError(f"property {key!r} is required but its schema is `false`")
                continue
            node = self._node(sub, key)
            by_key[key] = node
            write_only = isinstance(sub, Mapping) and sub.get("writeOnly") is True
            entries.append((key, node, key in req_set, not write_only))

        extra_value = self._node(addl if isinstance(addl, Mapping) else True, None)
        names_node = self._node(schema["propertyNames"], None) if "propertyNames" in schema else None
        map_like = not props and (bool(pattern_props) or (not closed and isinstance(addl, Mapping) and bool(addl)))
        can_extra = bool(pattern_props) or not closed
        rng = self._rng
        rnd = rng.random
        xeger = self._xeger
        parsed_pp = [(_sre_parse.parse(p), rx, self._node(s, None)) for p, rx, s in pattern_props]

        def add_extra(out: dict[str, Any], depth: int) -> bool:
            for _ in range(_UNIQUE_TRIES):
                if parsed_pp and (closed or rnd() < 0.5):
                    parsed, rx, node = parsed_pp[rng.randrange(len(parsed_pp))]
                    xeger.open_extra = 6
                    key = xeger.generate(parsed)
                    if key in out or key in props or not rx.search(key):
                        continue
                    out[key] = node.gen(depth)
                    return True
                if closed:
                    continue
                if names_node is not None:
                    key = names_node.gen(depth)
                    if not isinstance(key, str):
                        continue
                else:
                    key = "".join(rng.choices(_LOWER, k=rng.randint(3, 8)))
                if key in out or key in props or any(rx.search(key) for _p, rx, _s in pattern_props):
                    continue
                out[key] = extra_value.gen(depth)
                return True
            return False

        has_deps = bool(dep_req)
        too_deep = (
            f"the schema needs objects nested more than {_HARD_DEPTH} levels deep (a required "
            "property that recurses without end?); make the recursion optional or nullable"
        )

        def gen(depth: int) -> dict[str, Any]:
            if depth > _HARD_DEPTH:
                raise SynthesisError(too_deep)
            minimal = depth >= MAX_DEPTH
            d1 = depth + 1
            out: dict[str, Any] = {}
            for key, node, req, opt in entries:
                if req or (opt and not minimal and rnd() < 0.5):
                    out[key] = node.gen(d1)
            if has_deps:
                changed = True
                while changed:
                    changed = False
                    for key in list(out):
                        for dep in dep_req.get(key, ()):
                            if dep not in out:
                                dep_node = by_key.get(dep)
                                if dep_node is None:
                                    raise SynthesisError(
                                        f"dependentRequired asks for {dep!r}, which additionalProperties: "
                                        "false forbids; declare it under properties"
                                    )
                                out[dep] = dep_node.gen(d1)
                                changed = True
            if map_like and not minimal:
                for _ in range(rng.randint(1, 3)):
                    add_extra(out, d1)
            if len(out) < min_p:
                for key, node, _req, _opt in entries:
                    if len(out) >= min_p:
                        break
                    if key not in out:
                        out[key] = node.gen(d1)
                while len(out) < min_p:
                    if not can_extra or not add_extra(out, d1):
                        raise SynthesisError(
                            f"cannot reach minProperties={min_p}: only {len(out)} properties can be made "
                            "(additionalProperties is false?)"
                        )
            if max_p is not None and len(out) > max_p:
                for key in reversed(list(out)):
                    if len(out) <= max_p:
                        break
                    needed = key in req_set or any(key in dep_req.get(k, ()) for k in out if k != key)
                    if not needed:
                        del out[key]
            return out

        return gen

    # -- arrays ---------------------------------------------------------------------------------

    def _c_array(self, schema: Mapping[str, Any], name: str | None) -> _Gen:
        items = schema.get("items", True)
        prefix = list(schema.get("prefixItems") or ())
        min_i = int(schema.get("minItems", 0))
        max_raw = schema.get("maxItems")
        max_i = None if max_raw is None else int(max_raw)
        unique = schema.get("uniqueItems") is True
        contains = schema.get("contains")
        n_contains = int(schema.get("minContains", 1)) if contains is not None else 0
        hi = min_i + 3 if max_i is None else min(max_i, min_i + 3)
        if items is False:
            hi = min(hi, len(prefix))
        if contains is not None and n_contains:
            min_i = max(min_i, len(prefix) + n_contains)
            hi = max(hi, min_i)
            if max_i is not None and min_i > max_i:
                raise SynthesisError(f"contains needs {min_i} items but maxItems is {max_i}")
        if hi < min_i:
            raise SynthesisError(f"an array needs at least {min_i} items but at most {hi} are allowed")
        item_node = self._node(items, name)
        prefix_nodes = [self._node(p, name) for p in prefix]
        contains_node = self._node(_and_schemas(items, contains), name) if contains is not None else None
        n_prefix = len(prefix)
        randint = self._rng.randint

        def node_at(i: int) -> _Lazy:
            if i < n_prefix:
                return prefix_nodes[i]
            if contains_node is not None and i - n_prefix < n_contains:
                return contains_node
            return item_node

        def gen(depth: int) -> list[Any]:
            if depth > _HARD_DEPTH:
                raise SynthesisError(f"arrays nested more than {_HARD_DEPTH} levels deep")
            n = min_i if depth >= MAX_DEPTH else randint(min_i, hi)
            d1 = depth + 1
            if not unique:
                return [node_at(i).gen(d1) for i in range(n)]
            out: list[Any] = []
            seen: set[Any] = set()
            for i in range(n):
                node = node_at(i)
                for _ in range(_UNIQUE_TRIES):
                    v = node.gen(d1)
                    key = _freeze(v)
                    if key not in seen:
                        seen.add(key)
                        out.append(v)
                        break
                else:
                    if len(out) >= min_i:
                        break
                    raise SynthesisError(
                        f"uniqueItems: could not find {min_i} distinct items after {_UNIQUE_TRIES} tries "
                        "each; the item schema allows too few values"
                    )
            return out

        return gen

    # -- strings --------------------------------------------------------------------------------

    def _c_string(self, schema: Mapping[str, Any], name: str | None) -> _Gen:
        lo = int(schema.get("minLength", 0))
        hi_raw = schema.get("maxLength")
        hi = None if hi_raw is None else int(hi_raw)
        if hi is not None and hi < lo:
            raise SynthesisError(f"minLength {lo} is greater than maxLength {hi}")
        patterns: list[str] = []
        if isinstance(schema.get("pattern"), str):
            patterns.append(schema["pattern"])
        patterns += schema.get(_ALSO_PATTERNS, ())
        try:
            compiled = [re.compile(p) for p in patterns]
            parsed = _sre_parse.parse(patterns[0]) if patterns else None
        except re.error as exc:
            raise SynthesisError(
                f"pattern {patterns!r} is not supported ({exc}); use syntax common to ECMA-262 and Python"
            ) from exc
        fmt = schema.get("format")
        kind = _name_kind(name)
        fmt_fn = self._format_fn(fmt, kind) if isinstance(fmt, str) else None
        kind_fn = self._kinds.get(kind) if kind else None
        trim = kind in _FREE_TEXT_KINDS
        word = self._word
        xeger = self._xeger
        limits = f"minLength={lo}, maxLength={hi}"

        def ok(s: str) -> bool:
            n = len(s)
            return n >= lo and (hi is None or n <= hi) and all(rx.search(s) for rx in compiled)

        def from_pattern() -> str:
            for attempt in range(_PATTERN_TRIES):
                xeger.open_extra = (8, 2, 16, 0, 32, 4, 64, 1)[attempt % 8]
                s = xeger.generate(parsed)
                if ok(s):
                    return s
            raise SynthesisError(
                f"could not generate a string matching pattern {patterns[0]!r}"
                + (f" and {patterns[1:]!r}" if len(patterns) > 1 else "")
                + f" with {limits} in {_PATTERN_TRIES} tries; the pattern may be impossible or contradict "
                "the lengths"
            )

        def gen(_depth: int) -> str:
            if fmt_fn is not None:
                for _ in range(5):
                    s = fmt_fn()
                    if ok(s):
                        return s
                if parsed is None:
                    raise SynthesisError(f"cannot make a {fmt!r} string with {limits}")
            if kind_fn is not None:
                s = kind_fn()
                if ok(s):
                    return s
                if parsed is None and trim and hi is not None and len(s) > hi >= max(lo, 1):
                    return s[:hi]
            if parsed is not None:
                return from_pattern()
            return word(lo, hi)

        return gen

    def _format_fn(self, fmt: str, kind: str | None) -> Callable[[], str] | None:
        rng = self._rng
        if fmt == "date":
            return self._kinds["birth"] if kind == "birth" else self._date
        if fmt == "date-time":
            return self._datetime
        if fmt == "time":
            return lambda: f"{rng.randrange(24):02d}:{rng.randrange(60):02d}:{rng.randrange(60):02d}{_OFFSET}"
        if fmt in ("email", "idn-email"):
            return self._faker.email
        if fmt in ("uri", "url", "iri", "uri-reference", "iri-reference", "uri-template"):
            return self._faker.url
        if fmt in ("hostname", "idn-hostname"):
            return self._faker.domain_name
        if fmt == "uuid":
            return lambda: str(uuid.UUID(int=rng.getrandbits(128), version=4))
        if fmt == "ipv4":
            return self._ipv4
        if fmt == "ipv6":
            return lambda: ":".join(f"{rng.getrandbits(16):x}" for _ in range(8))
        if fmt == "byte":
            return lambda: base64.b64encode(rng.randbytes(rng.randint(3, 12))).decode("ascii")
        if fmt == "password":
            return lambda: "".join(rng.choices(_ALNUM, k=12))
        if fmt == "duration":
            return lambda: f"P{rng.randint(1, 365)}D"
        if fmt == "json-pointer":
            return lambda: "/" + "".join(rng.choices(_LOWER, k=rng.randint(1, 8)))
        if fmt == "relative-json-pointer":
            return lambda: str(rng.randint(0, 3))
        if fmt == "regex":
            return lambda: "^[a-z]+$"
        return None  # unknown formats are annotations: fall through to pattern / name / word

    # -- numbers --------------------------------------------------------------------------------

    def _c_integer(self, schema: Mapping[str, Any]) -> _Gen:
        lo, lo_ex, hi, hi_ex = _bounds(schema)
        mult = _num(schema.get("multipleOf"), "multipleOf")
        if mult is not None and mult <= 0:
            raise SynthesisError(f"multipleOf must be positive, got {schema.get('multipleOf')!r}")
        step = mult.numerator if mult is not None else 1  # n is a multiple of p/q iff p divides n
        k = _k_range(lo, lo_ex, hi, hi_ex, Fraction(step), 1000)
        fmt = schema.get("format")
        if k is not None and fmt in ("int32", "int64"):
            bits = 31 if fmt == "int32" else 63
            k = max(k[0], -(2**bits // step)), min(k[1], (2**bits - 1) // step)
            k = k if k[0] <= k[1] else None
        if k is None:
            raise SynthesisError(f"no integer satisfies {self._number_limits(schema)}")
        k_lo, k_hi = k
        randint = self._rng.randint
        return lambda _d: randint(k_lo, k_hi) * step

    def _c_number(self, schema: Mapping[str, Any]) -> _Gen:
        lo, lo_ex, hi, hi_ex = _bounds(schema)
        mult_raw = schema.get("multipleOf")
        mult = _num(mult_raw, "multipleOf")
        if mult is not None and mult <= 0:
            raise SynthesisError(f"multipleOf must be positive, got {mult_raw!r}")
        randint = self._rng.randint
        step = mult if mult is not None else Fraction(1, 100)
        k = _k_range(lo, lo_ex, hi, hi_ex, step, 10_000)
        if k is not None:
            k_lo, k_hi = k
            if step.denominator == 1:
                istep = int(step)
                return lambda _d: randint(k_lo, k_hi) * istep
            fstep = float(step)
            places = _decimals(mult_raw if mult is not None else "0.01")
            if places <= 15:
                return lambda _d: round(randint(k_lo, k_hi) * fstep, places)
            return lambda _d: float(randint(k_lo, k_hi) * step)
        if mult is not None or lo is None or hi is None:
            raise SynthesisError(f"no number satisfies {self._number_limits(schema)}")
        # Bounds too close for two decimals: draw from the continuous interval.
        flo, fhi = float(lo), float(hi)
        rnd = self._rng.random

        def between(_d: int) -> float:
            for _ in range(10):
                v = flo + (fhi - flo) * rnd()
                if (v > flo if lo_ex else v >= flo) and (v < fhi if hi_ex else v <= fhi):
                    return v
            mid = flo + (fhi - flo) / 2
            if (mid > flo if lo_ex else mid >= flo) and (mid < fhi if hi_ex else mid <= fhi):
                return mid
            raise SynthesisError(f"no float satisfies {self._number_limits(schema)}")

        return between

    @staticmethod
    def _number_limits(schema: Mapping[str, Any]) -> str:
        keys = ("minimum", "exclusiveMinimum", "maximum", "exclusiveMaximum", "multipleOf", "format")
        return ", ".join(f"{k}={schema[k]!r}" for k in keys if k in schema) or "the schema"

    # -- realistic strings ----------------------------------------------------------------------

    def _name_tables(self) -> tuple[tuple[str, ...], list[float], tuple[str, ...]] | None:
        """Faker's surname/given-name tables when names are "{surname}{given}" (zh_CN): fast path."""
        for provider in self._faker.get_providers():
            formats = getattr(provider, "formats", None)
            last, first = getattr(provider, "last_names", None), getattr(provider, "first_names", None)
            if (
                list(formats or ()) == ["{{last_name}}{{first_name}}"]
                and isinstance(last, Mapping)
                and isinstance(first, Sequence)
                and first
            ):
                surnames = tuple(str(k) for k in last)
                cum: list[float] = []
                total = 0.0
                for weight in last.values():
                    total += float(weight)
                    cum.append(total)
                return surnames, cum, tuple(str(f) for f in first)
        return None

    def _place_tables(self) -> tuple[tuple[str, ...], ...] | None:
        """Faker's province/city/district/street tables when it has them (zh_CN): fast addresses."""
        for provider in self._faker.get_providers():
            tables = [getattr(provider, t, None) for t in ("provinces", "cities", "districts", "street_suffixes")]
            if all(isinstance(t, Sequence) and t and not isinstance(t, str) for t in tables):
                return tuple(tuple(str(x) for x in t) for t in tables)  # type: ignore[union-attr]
        return None

    def _address(self) -> str:
        """A mainland-style address: 省 + 市 + 区 + 街/路 + 号, from Faker's zh_CN place names."""
        assert self._places is not None
        provinces, cities, districts, suffixes = self._places
        choice = self._rng.choice
        return (
            f"{choice(provinces)}{choice(cities)}市{choice(districts)}区"
            f"{choice(cities)}{choice(suffixes)}{self._rng.randint(1, 999)}号"
        )

    def _person_name(self) -> str:
        if self._names is None:
            return str(self._faker.name())
        surnames, cum, given = self._names
        rng = self._rng
        return rng.choices(surnames, cum_weights=cum)[0] + rng.choice(given)

    def _word(self, lo: int, hi: int | None) -> str:
        w = str(self._faker.word())
        if len(w) >= lo and (hi is None or len(w) <= hi):
            return w
        rng = self._rng
        top = lo + 8 if hi is None else min(hi, lo + 8)
        return "".join(rng.choices(_LOWER, k=rng.randint(lo, top)))

    def _mobile(self) -> str:
        return mobile(self._rng)

    def _birth_date(self) -> date:
        return self._as_of - timedelta(days=self._rng.randint(18 * 365 + 5, 60 * 365))

    def _id_card(self) -> str:
        rng = self._rng
        birth = self._birth_date()
        return resident_id(rng, birth, area_code(rng), "M" if rng.randrange(2) else "F")

    def _bank_card(self) -> str:
        rng = self._rng
        length = rng.choice(_CARD_LENGTHS)
        return unionpay_card(rng, length, prefix=rng.choice(_CARD_BINS))

    def _ipv4(self) -> str:
        rng = self._rng
        return f"{rng.randint(1, 223)}.{rng.randrange(256)}.{rng.randrange(256)}.{rng.randint(1, 254)}"

    def _day(self) -> date:
        return self._as_of + timedelta(days=self._rng.randint(-_DATE_SPREAD_DAYS, _DATE_SPREAD_DAYS))

    def _date(self) -> str:
        return self._day().isoformat()

    def _datetime(self) -> str:
        rng = self._rng
        s = rng.randrange(86_400)
        return f"{self._day().isoformat()}T{s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}{_OFFSET}"

    def _amount(self) -> str:
        return f"{self._rng.randint(1, 50_000)}.{self._rng.randrange(100):02d}"

    def _serial(self) -> str:
        rng = self._rng
        d = self._as_of
        prefix = rng.choice(_UPPER) + rng.choice(_UPPER)
        return f"{prefix}{d.year:04d}{d.month:02d}{d.day:02d}{rng.randrange(10**8):08d}"
