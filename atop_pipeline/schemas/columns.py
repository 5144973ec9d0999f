"""The published ATOP 5.1 column names, in the published order (headers of atop5_1a.csv / atop5_1m.csv).

These constants drive the warehouse's wide tables and the analyst views, so a query written for
ATOP 5.1 runs unchanged against `atop_alliance_level` / `atop_member_level`.
"""

from __future__ import annotations

#: Columns of the alliance-level file (atop5_1a.csv), 134 in published order.
ALLIANCE_COLUMNS: tuple[str, ...] = (
    "atopid", "cowid", "cow4id", "begyr", "begmo", "begday", "endyr", "endmo", "endday",
    "ineffect", "bilat", "maxphase", "wartime", "estmode", "pubsecr", "secrart", "proadd",
    "futmem", "speclgth", "length", "renounce", "proren", "renewlgt", "term", "defense", "offense",
    "neutral", "nonagg", "consul", "active", "conditio", "defcon", "offcon", "neucon", "concon",
    "asymm", "notaiden", "dipaid", "terrres", "seppeace", "thirdcom", "noothall", "specthrt",
    "statthr1", "statthr2", "conwtin", "medarb", "milcon", "milaid", "intcom", "subord", "organ1",
    "orgpurp1", "organ2", "orgpurp2", "base", "contrib", "armred", "acqterr", "divgains",
    "demwith", "reflnun", "refothio", "natrefal", "compag", "nomicoop", "conres", "agprois",
    "conmen", "ecaid", "interv", "mem1", "mem2", "mem3", "mem4", "mem5", "mem6", "mem7", "mem8",
    "mem9", "mem10", "mem11", "mem12", "mem13", "mem14", "mem15", "mem16", "mem17", "mem18",
    "mem19", "mem20", "mem21", "mem22", "mem23", "mem24", "mem25", "mem26", "mem27", "mem28",
    "mem29", "mem30", "mem31", "mem32", "mem33", "mem34", "mem35", "mem36", "mem37", "mem38",
    "mem39", "mem40", "mem41", "mem42", "mem43", "mem44", "mem45", "mem46", "mem47", "mem48",
    "mem49", "mem50", "mem51", "mem52", "mem53", "mem54", "mem55", "mem56", "mem57", "mem58",
    "mem59", "source", "new5", "rev5", "version",
)

#: Columns of the member-level file (atop5_1m.csv), 105 in published order.
MEMBER_COLUMNS: tuple[str, ...] = (
    "atopid", "cowid", "cow4id", "member", "cowsys", "yrent", "moent", "dayent", "yrexit",
    "moexit", "dayexit", "ineffect", "bilat", "phase", "maxphase", "wartime", "cowwar", "estmode",
    "pubsecr", "secrart", "proadd", "futmem", "speclgth", "length", "renounce", "proren",
    "renewlgt", "term", "termmode", "termcaus", "defense", "offense", "neutral", "nonagg",
    "consul", "active", "conditio", "defcon", "offcon", "neucon", "concon", "defcoadv", "defcoloc",
    "defcocon", "defconum", "defcodem", "defconpr", "offcoadv", "offcoloc", "offcocon", "offconum",
    "offcodem", "neucoadv", "neucoloc", "neucocon", "neuconum", "neucodem", "neuconpr", "neucoatt",
    "concoadv", "concoloc", "concocon", "concoreq", "olimob", "asymm", "obvary", "notaiden",
    "dipaid", "terrres", "seppeace", "thirdcom", "noothall", "specthrt", "statthr1", "statthr2",
    "conwtin", "medarb", "milcon", "milaid", "intcom", "subord", "organ1", "orgpurp1", "organ2",
    "orgpurp2", "base", "contrib", "armred", "acqterr", "divgains", "demwith", "reflnun",
    "refothio", "natrefal", "compag", "nomicoop", "conres", "agprois", "conmen", "ecaid", "interv",
    "source", "new5", "rev5", "version",
)

#: The one published column that is not an integer ("5.1"); kept as text so it round-trips exactly.
TEXT_COLUMNS: frozenset[str] = frozenset({"version"})


def sql_type(column: str) -> str:
    """The DuckDB type of a published ATOP column."""
    return "VARCHAR" if column in TEXT_COLUMNS else "INTEGER"
