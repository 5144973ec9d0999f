"""The ATOP variables as a data dictionary, and the `alliances` / `members` table schemas built from it.

Each variable: codebook name, the codesheet question it is coded from (codebook 5.1 "(Qn)" tags and
the bundled question map), the allowed range, and a one-line meaning. Ranges follow the codebook's
value codes; every variable is nullable (NULL = the sheet does not determine it; ATOP released
-9 as missing).
"""

from __future__ import annotations

from dataclasses import dataclass

import pandas as pd
import pandera.pandas as pa
from pandera.typing import Series

from atop_pipeline.schemas._checks import (
    COW_CODES,
    NON_COW_MEMBER_CODES,
    band_matches,
    date_exists,
    not_after,
    row_check,
    rows,
)
from atop_pipeline.schemas.columns import ALLIANCE_COLUMNS, MEMBER_COLUMNS


@dataclass(frozen=True)
class Variable:
    """One ATOP variable: where it comes from on the sheet and what values it may take."""

    name: str
    question: int | None
    low: int | None
    high: int | None
    description: str


def _v(name: str, question: int | None, low: int | None, high: int | None, description: str) -> Variable:
    return Variable(name, question, low, high, description)


#: Every ATOP 5.1 variable of the alliance- and member-level files.
VARIABLES: dict[str, Variable] = {
    v.name: v
    for v in (
        _v("atopid", 1, 1000, 7999, "ATOP alliance identifier; band tells the formation period"),
        _v("cowid", 2, 1, 9999, "COW alliance dataset v3.0 id; missing if not in COW"),
        _v("cow4id", 2, 1, 9999, "COW alliance dataset v4.1 id; missing if not in COW"),
        _v("begyr", 3, 1815, 2100, "signature year (multilateral: when the second member signed)"),
        _v("begmo", 3, 1, 12, "signature month"),
        _v("begday", 3, 1, 31, "signature day; missing if unknown"),
        _v("endyr", 14, 0, 2100, "termination year; 0 = in effect on 2018-12-31"),
        _v("endmo", 14, 0, 12, "termination month; 0 = in effect"),
        _v("endday", 14, 0, 31, "termination day; 0 = in effect, missing if unknown"),
        _v("ineffect", 14, 0, 1, "1 if in effect on 2018-12-31"),
        _v("bilat", 4, 0, 1, "1 if never more than two members"),
        _v("maxphase", None, 0, 9, "number of phases (0 = single phase)"),
        _v("wartime", 5, 0, 1, "1 if signed during a war involving a member"),
        _v("estmode", 6, 0, 1, "1 treaty requiring ratification, 0 other"),
        _v("pubsecr", 7, 0, 2, "0 public, 1 secret articles, 2 secret"),
        _v("secrart", 7, 0, 8, "content of secret articles (0 none .. 8 secret treaty)"),
        _v("proadd", 8, 0, 3, "provisions for adding members"),
        _v("futmem", 9, 0, 3, "specific future members named"),
        _v("speclgth", 10, 0, 3, "0 no length, 1 fixed term, 2 until condition, 3 explicitly indefinite"),
        _v("length", 10, 0, 1200, "initial term in months (0 if not fixed)"),
        _v("renounce", 11, 0, 4, "conditions for renunciation"),
        _v("proren", 12, 0, 2, "0 no renewal, 1 active renewal, 2 automatic unless notice"),
        _v("renewlgt", 13, 0, 1200, "renewal term in months (0 if none/unspecified)"),
        _v("term", 15, 0, 3, "0 in effect/censored, 1 fulfilled, 2 violation, 3 renegotiated"),
        _v("defense", 16, 0, 1, "defense obligation"),
        _v("offense", 16, 0, 1, "offense obligation"),
        _v("neutral", 16, 0, 1, "neutrality obligation"),
        _v("nonagg", 16, 0, 1, "non-aggression obligation"),
        _v("consul", 16, 0, 1, "consultation obligation"),
        _v("active", 16, 0, 1, "1 if any defense or offense obligation"),
        _v("conditio", 19, 0, 1, "obligations are conditional"),
        _v("defcon", 19, 0, 1, "defense obligation conditional"),
        _v("offcon", 19, 0, 1, "offense obligation conditional"),
        _v("neucon", 19, 0, 1, "neutrality obligation conditional"),
        _v("concon", 19, 0, 1, "consultation obligation conditional"),
        _v("asymm", 24, 0, 1, "asymmetric obligations (answer Yes to Q24 -> 0)"),
        _v("notaiden", 21, 0, 4, "promise not to aid enemies"),
        _v("dipaid", 21, 0, 1, "diplomatic aid promised"),
        _v("terrres", 21, 0, 1, "territory not to be used against allies"),
        _v("seppeace", 25, 0, 3, "no separate peace"),
        _v("thirdcom", 26, 0, 1, "consult before commitments to third parties"),
        _v("noothall", 27, 0, 1, "no other conflicting alliances"),
        _v("specthrt", 23, 0, 6, "specific threat named"),
        _v("statthr1", 23, 0, 9999, "COW code of first threatening state, 0 none"),
        _v("statthr2", 23, 0, 9999, "COW code of second threatening state, 0 none"),
        _v("conwtin", 29, 0, 3, "provisions on conflict among members"),
        _v("medarb", 30, 0, 1, "mediation/arbitration"),
        _v("milcon", 31, 0, 3, "official military contact"),
        _v("milaid", 32, 0, 4, "military aid"),
        _v("intcom", 33, 0, 1, "integrated command"),
        _v("subord", 34, 0, 2, "subordination of forces"),
        _v("organ1", 35, 0, 3, "first organisation created"),
        _v("orgpurp1", 35, 0, 5, "purpose of first organisation"),
        _v("organ2", 35, 0, 3, "second organisation created"),
        _v("orgpurp2", 35, 0, 5, "purpose of second organisation"),
        _v("base", 36, 0, 3, "bases / troop placement"),
        _v("contrib", 37, 0, 1, "contribution levels specified"),
        _v("armred", 38, 0, 2, "arms limits or coordinated increase"),
        _v("acqterr", 39, 0, 2, "acquisition of territory permitted/prohibited"),
        _v("divgains", 40, 0, 1, "division of gains"),
        _v("demwith", 41, 0, 1, "demobilisation/withdrawal"),
        _v("reflnun", 47, 0, 2, "reference to League of Nations (1) or UN (2)"),
        _v("refothio", 47, 0, 2, "reference to other international organisations"),
        _v("natrefal", 48, 0, 9, "reference to other alliances"),
        _v("compag", 49, 0, 6, "companion agreements"),
        _v("nomicoop", 50, 0, 1, "non-military cooperation"),
        _v("conres", 51, 0, 2, "resolves conflicts among allies (1) or third parties (2)"),
        _v("agprois", 53, 0, 5, "proposes other agreements"),
        _v("conmen", 54, 0, 1, "unresolved conflicts mentioned"),
        _v("ecaid", 55, 0, 3, "economic aid / enticements"),
        _v("interv", 56, 0, 4, "intervention / non-intervention"),
        *(_v(f"mem{i}", 4, 2, 9999, f"member {i} (COW code, ascending)") for i in range(1, 60)),
        _v("source", 58, 1, 2, "1 primary text, 2 secondary sources only"),
        _v("new5", None, 0, 1, "1 if new in version 5"),
        _v("rev5", None, 0, 1, "1 if revised in version 5"),
        _v("version", None, None, None, "dataset version, as text"),
        # member level
        _v("member", 4, 2, 9999, "member state, COW country code"),
        _v("cowsys", 4, 0, 1, "1 if a COW system member at signature"),
        _v("yrent", 3, 1815, 2100, "year the member signed"),
        _v("moent", 3, 1, 12, "month the member signed"),
        _v("dayent", 3, 1, 31, "day the member signed; missing if unknown"),
        _v("yrexit", 14, 0, 2100, "year the member left; 0 = still a member"),
        _v("moexit", 14, 0, 12, "month the member left; 0 = still a member"),
        _v("dayexit", 14, 0, 31, "day the member left; 0 = still a member, missing if unknown"),
        _v("phase", None, 0, 9, "alliance phase of this row (0 = single phase)"),
        _v("cowwar", 5, 0, 9999, "COW war the member was in at signature, 0 none"),
        _v("termmode", 15, 0, 6, "how the member's participation ended"),
        _v("termcaus", 15, 0, 8, "why the member's participation ended"),
        *(
            _v(f"{o}co{k}", 19, 0, 1, f"{o} obligation conditional: {label}")
            for o in ("def", "off", "neu", "con")
            for k, label in (
                ("adv", "on adversary"),
                ("loc", "on location"),
                ("con", "on conflict"),
                ("num", "on number of adversaries"),
                ("dem", "on demand"),
                ("npr", "on non-provocation"),
                ("att", "on attack"),
                ("req", "on request"),
            )
        ),
        _v("olimob", 22, 0, 1, "other limits on obligations"),
        _v("obvary", 24, 0, 1, "obligations vary across members"),
    )
    if v.name in ALLIANCE_COLUMNS or v.name in MEMBER_COLUMNS  # the co* product has a few non-variables
}


def _variable_field(name: str, *, required: bool = False) -> tuple[object, object]:
    """(annotation, Field) for one ATOP variable column."""
    v = VARIABLES[name]
    metadata = {"question": v.question, "atop_variable": True}
    if name == "version":
        return Series[str], pa.Field(nullable=True, description=v.description, metadata=metadata)
    return Series[pd.Int64Dtype], pa.Field(
        nullable=not required, ge=v.low, le=v.high, description=v.description, metadata=metadata
    )


def _with_variables(base: type, name: str, columns: tuple[str, ...], doc: str, *, check_atopid: bool = True) -> type:
    """A DataFrameModel subclass of `base` with one column per ATOP variable in `columns`."""
    annotations: dict[str, object] = {}
    attrs: dict[str, object] = {"__doc__": doc, "__module__": __name__, "__qualname__": name}
    for column in columns:
        annotation, field = _variable_field(column, required=column in ("atopid", "member"))
        if column == "atopid" and not check_atopid:  # one report per sheet: the range is checked on alliances
            field = pa.Field(nullable=False, description=VARIABLES["atopid"].description)
        annotations[column] = annotation
        attrs[column] = field
    attrs["__annotations__"] = annotations
    return type(name, (base,), attrs)


class _AllianceChecks(pa.DataFrameModel):
    """Lineage columns and the cross-column rules of the `alliances` table."""

    sha256: Series[str] = pa.Field(str_matches=r"^[0-9a-f]{64}$", description="codesheet version")
    member_count: Series[pd.Int64Dtype] = pa.Field(
        nullable=True, description="distinct member states on the sheet", metadata={"question": 4}
    )
    max_concurrent_members: Series[pd.Int64Dtype] = pa.Field(
        nullable=True, description="most members in force at once in the final phase", metadata={"question": 4}
    )

    class Config:
        coerce = True
        strict = True

    @row_check(
        "atopid_band_matches_signature_year", ("atopid", "begyr"), question=1,
        description="1000-1999 = 1815-1913, 2000-2999 = 1914-1944, 3000-3999 = 1945-1989, 4000-7999 = 1990+",
    )
    def _band(cls, df: pd.DataFrame) -> pd.Series:
        return rows(df, band_matches, "atopid", "begyr")

    @row_check("begin_date_exists", ("begyr", "begmo", "begday"), question=3)
    def _begin_exists(cls, df: pd.DataFrame) -> pd.Series:
        return rows(df, lambda y, m, d: date_exists(y, m, d, zero_means_open=False), "begyr", "begmo", "begday")

    @row_check("end_date_exists", ("endyr", "endmo", "endday"), question=14)
    def _end_exists(cls, df: pd.DataFrame) -> pd.Series:
        return rows(df, lambda y, m, d: date_exists(y, m, d, zero_means_open=True), "endyr", "endmo", "endday")

    @row_check("begin_not_after_end", ("begyr", "begmo", "begday", "endyr", "endmo", "endday"), question=14)
    def _begin_before_end(cls, df: pd.DataFrame) -> pd.Series:
        return rows(
            df, lambda *d: not_after(d[:3], d[3:]), "begyr", "begmo", "begday", "endyr", "endmo", "endday"
        )

    @row_check(
        "ineffect_matches_end_date", ("ineffect", "endyr"), question=14,
        description="ineffect = 1 exactly when endyr = 0 (in effect on 2018-12-31)",
    )
    def _ineffect(cls, df: pd.DataFrame) -> pd.Series:
        return rows(df, _ineffect_consistent, "ineffect", "endyr")

    @row_check("at_least_two_members", ("member_count",), question=4)
    def _two_members(cls, df: pd.DataFrame) -> pd.Series:
        return rows(df, lambda n: pd.isna(n) or n >= 2, "member_count")

    @row_check(
        "bilat_matches_member_count", ("bilat", "member_count", "max_concurrent_members"), question=4,
        description="bilat = 1: never more than two members at once (in the final phase); bilat = 0: three or more members",
    )
    def _bilat(cls, df: pd.DataFrame) -> pd.Series:
        return rows(df, _bilat_consistent, "bilat", "member_count", "max_concurrent_members")

    @row_check("mem_codes_in_cow_list", tuple(f"mem{i}" for i in range(1, 60)), question=4)
    def _mem_cow(cls, df: pd.DataFrame) -> pd.Series:
        cols = [f"mem{i}" for i in range(1, 60) if f"mem{i}" in df.columns]
        return rows(df, lambda *codes: all(pd.isna(c) or _known_state(c) for c in codes), *cols)


class _MemberChecks(pa.DataFrameModel):
    """Sheet columns and the cross-column rules of the `members` table."""

    member_name: Series[str] = pa.Field(nullable=True, description="name as written on the sheet", metadata={"question": 4})
    ordinal: Series[pd.Int64Dtype] = pa.Field(ge=0, description="position on the sheet")
    sha256: Series[str] = pa.Field(str_matches=r"^[0-9a-f]{64}$", description="codesheet version")

    class Config:
        coerce = True
        strict = True
        unique = ["atopid", "ordinal"]

    @pa.check("member", name="member_in_cow_list")
    def _member_cow(cls, member: Series[pd.Int64Dtype]) -> Series[bool]:
        return member.map(lambda c: pd.isna(c) or _known_state(c)).astype(bool)

    @row_check("entry_date_exists", ("yrent", "moent", "dayent"), question=3)
    def _entry_exists(cls, df: pd.DataFrame) -> pd.Series:
        return rows(df, lambda y, m, d: date_exists(y, m, d, zero_means_open=False), "yrent", "moent", "dayent")

    @row_check("exit_date_exists", ("yrexit", "moexit", "dayexit"), question=14)
    def _exit_exists(cls, df: pd.DataFrame) -> pd.Series:
        return rows(df, lambda y, m, d: date_exists(y, m, d, zero_means_open=True), "yrexit", "moexit", "dayexit")

    @row_check("entry_not_after_exit", ("yrent", "moent", "dayent", "yrexit", "moexit", "dayexit"), question=14)
    def _entry_before_exit(cls, df: pd.DataFrame) -> pd.Series:
        return rows(
            df, lambda *d: not_after(d[:3], d[3:]), "yrent", "moent", "dayent", "yrexit", "moexit", "dayexit"
        )

    @row_check(
        "ineffect_matches_exit_date", ("ineffect", "yrexit"), question=14,
        description="ineffect = 1 exactly when yrexit = 0",
    )
    def _ineffect(cls, df: pd.DataFrame) -> pd.Series:
        return rows(df, _ineffect_consistent, "ineffect", "yrexit")


def _known_state(code: object) -> bool:
    return int(code) in COW_CODES or int(code) in NON_COW_MEMBER_CODES  # type: ignore[call-overload]


def _ineffect_consistent(ineffect: object, end_year: object) -> bool:
    if pd.isna(ineffect) or pd.isna(end_year):
        return True
    return (int(ineffect) == 1) == (int(end_year) == 0)  # type: ignore[call-overload]


def _bilat_consistent(bilat: object, member_count: object, max_concurrent: object) -> bool:
    if pd.isna(bilat):
        return True
    if int(bilat) == 1:  # type: ignore[call-overload]
        return pd.isna(max_concurrent) or int(max_concurrent) <= 2  # type: ignore[call-overload]
    return pd.isna(member_count) or int(member_count) >= 3  # type: ignore[call-overload]


AllianceSchema = _with_variables(
    _AllianceChecks,
    "AllianceSchema",
    ALLIANCE_COLUMNS,
    "`alliances`: one row per alliance, the ATOP alliance-level variables of its current sheet version.",
)

MemberSchema = _with_variables(
    _MemberChecks,
    "MemberSchema",
    MEMBER_COLUMNS,
    "`members`: one row per member (per phase), the ATOP member-level variables, name as written.",
    check_atopid=False,
)


class _Published(pa.DataFrameModel):
    class Config:
        coerce = True
        strict = True


def _published(name: str, columns: tuple[str, ...], doc: str) -> type:
    """A types-only model: the published files are reference data, shown as released."""
    annotations: dict[str, object] = {}
    attrs: dict[str, object] = {"__doc__": doc, "__module__": __name__, "__qualname__": name}
    for column in columns:
        v = VARIABLES[column]
        annotations[column] = Series[str] if column == "version" else Series[pd.Int64Dtype]
        attrs[column] = pa.Field(nullable=column != "atopid", description=v.description, metadata={"question": v.question})
    attrs["__annotations__"] = annotations
    return type(name, (_Published,), attrs)


PublishedAllianceSchema = _published(
    "PublishedAllianceSchema", ALLIANCE_COLUMNS, "`published_atop_alliances`: atop5_1a.csv as released."
)
PublishedMemberSchema = _published(
    "PublishedMemberSchema", MEMBER_COLUMNS, "`published_atop_members`: atop5_1m.csv as released."
)
