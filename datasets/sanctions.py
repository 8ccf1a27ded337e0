"""Registry import: vessels from public sanctions lists (OFAC SDN, UN consolidated list), merged by IMO.

Dimensions and particulars tables are joined to the merged vessels by IMO, or, for rows without
an IMO, by a unique match of their name or a former name against the lists' names and aliases.
"""

from __future__ import annotations

import csv
import io
import math
import re
import xml.etree.ElementTree as ET
from collections.abc import Sequence, Set
from dataclasses import dataclass, field
from pathlib import Path

from tankerwatch.datasets.registry import COLUMNS, DIMENSION_COLUMNS, imo_check_digit_ok
from tankerwatch.datasets.tonnage import estimate_size
from tankerwatch.io import atomic_write_text
from tankerwatch.schema import TankerwatchError, Vessel

OFAC_COLUMNS: tuple[str, ...] = (
    "ent_num",
    "SDN_Name",
    "SDN_Type",
    "Program",
    "Title",
    "Call_Sign",
    "Vess_type",
    "Tonnage",
    "GRT",
    "Vess_flag",
    "Vess_owner",
    "Remarks",
)
OFAC_EMPTY = "-0-"  # sdn.csv writes '-0- ' for an empty field
OFAC_CODE = "OFAC-SDN"
OFAC_REG_ID = "Vessel Registration Identification"
# OFAC's Tonnage field is not labelled; where checked against trade press it was the deadweight
OFAC_TONNAGE_NOTE = "dwt is OFAC's Tonnage field (deadweight where checked)"
# UN sanctions regimes by their committee's founding resolution; other list types become 'UN-<type>'
UN_CODES: dict[str, str] = {
    "DPRK": "UN-1718",
    "Al-Qaida": "UN-1267",
    "Taliban": "UN-1988",
    "Libya": "UN-1970",
    "Iraq": "UN-1518",
    "Somalia": "UN-751",
    "DRC": "UN-1533",
    "Sudan": "UN-1591",
    "CAR": "UN-2127",
    "Yemen": "UN-2140",
    "South Sudan": "UN-2206",
    "Mali": "UN-2374",
}

_DIGITS_RE = re.compile(r"[0-9]+")
_IMO_RE = re.compile(r"[0-9]{7}")
_OFAC_IMO_RE = re.compile(OFAC_REG_ID + r"\s+IMO\s+([0-9]+)")
_OFAC_REG_ID_RE = re.compile(OFAC_REG_ID + r"\s+([^;]+?)\.?\s*(?:;|$)")
_ALIAS_RE = re.compile(r"\b([af]\.k\.a\.)\s*'([^']+)'")
_IMO_IN_TEXT_RE = re.compile(r"\bIMO\)?(?:\s+number)?\s*:?\s*([0-9]{7})\b", re.IGNORECASE)
_COMPANY_BEFORE_RE = re.compile(r"company\s+(?:number\s*)?$", re.IGNORECASE)
_PARENTHESES_RE = re.compile(r"\([^)]*\)")
_NAME_SEPARATORS_RE = re.compile(r"[;,]|\s/\s")
_NAME_PREFIX_RE = re.compile(r"^(?:later|former|formerly|ex)\s+", re.IGNORECASE)
_YEAR_RE = re.compile(r"(?:18|19|20)[0-9]{2}")
# shipping companies carry IMO company numbers, some of which pass the ship check digit (OMM's 1790183)
_ORGANISATION_RE = re.compile(
    r"\b(?:company|co|ltd|limited|corp|corporation|inc|llc|jv|group|shipping|trading|management|bank|department)\b",
    re.IGNORECASE,
)


@dataclass
class ListedVessel:
    """One vessel record as a list or table gives it, before records are merged by IMO."""

    source: str  # where the record came from, cited in the registry notes
    name: str
    imo: str | None  # None when the record has no valid IMO number
    problem: str = ""  # why imo is None
    vessel_type: str = ""
    flag: str = ""
    sanctions: tuple[str, ...] = ()
    programs: tuple[str, ...] = ()  # the list's own programme tags (e.g. OFAC DPRK3), for the programme filter
    sizes: dict[str, float] = field(default_factory=dict)  # any of DIMENSION_COLUMNS
    size_notes: dict[str, str] = field(default_factory=dict)  # caveat on a size, by column
    aliases: tuple[tuple[str, str], ...] = ()  # (kind, name), e.g. ("f.k.a.", "SAM 5")


@dataclass
class SourceReport:
    """What one input file gave: records read, those kept, and those skipped with the reason."""

    path: Path
    kind: str
    records: int = 0
    outside_programs: int = 0
    with_imo: int = 0
    skipped: list[str] = field(default_factory=list)
    company_numbers: int = 0  # UN entities whose IMO number is a company's, not a ship's
    unlisted: int = 0  # dimensions rows for an IMO that no list names
    joined_imo: int = 0  # dimensions rows joined to a registry vessel by IMO
    joined_name: int = 0  # ... by their name, matched to a list record's name or alias
    joined_former: int = 0  # ... by one of their former names
    empty: int = 0  # dimensions rows with nothing to add (no size, type, build year or former names)


@dataclass
class ImportResult:
    """The merged registry and a report per input file."""

    vessels: list[Vessel]
    sources: list[SourceReport]


def _file_text(path: Path, what: str) -> str:
    """The text of an input file; a missing file is a one-line TankerwatchError."""
    try:
        data = Path(path).read_bytes()
    except FileNotFoundError:
        raise TankerwatchError(f"{path}: {what} not found") from None
    except IsADirectoryError:
        raise TankerwatchError(f"{path}: is a folder, expected a {what}") from None
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError:
        # a list re-saved by a spreadsheet on Windows is cp1252; names stay readable either way
        return data.decode("cp1252", errors="replace")


def _csv_records(path: Path, what: str) -> list[tuple[int, list[str]]]:
    """CSV records of a file with the 1-based line each starts on."""
    reader = csv.reader(io.StringIO(_file_text(path, what), newline=""))
    rows, line = [], 1
    try:
        for record in reader:
            rows.append((line, record))
            line = reader.line_num + 1  # a quoted field may span lines
    except csv.Error as e:
        raise TankerwatchError(f"{path}:{reader.line_num}: malformed CSV ({e})") from None
    return rows


def _xml_root(path: Path, what: str, root_tag: str) -> ET.Element:
    """The root element of an XML list, namespaces stripped from every tag."""
    try:
        root = ET.fromstring(_file_text(path, what))
    except ET.ParseError as e:
        raise TankerwatchError(f"{path}: not XML ({e})") from None
    for element in root.iter():
        if isinstance(element.tag, str) and "}" in element.tag:
            element.tag = element.tag.rsplit("}", 1)[1]
    if root.tag != root_tag:
        raise TankerwatchError(f"{path}: root element is <{root.tag}>, expected <{root_tag}> ({what})")
    return root


def _text(element: ET.Element | None, tag: str) -> str:
    """Stripped text of a child element; empty when absent."""
    child = element.find(tag) if element is not None else None
    return " ".join((child.text or "").split()) if child is not None else ""


def _positive_number(value: str) -> float | None:
    """A positive size or tonnage from list text such as '10,030'; None when empty or not a positive number."""
    try:
        number = float(value.replace(",", ""))
    except ValueError:
        return None
    return number if math.isfinite(number) and number > 0 else None


def _checked_imo(candidate: str, raw_id: str = "") -> tuple[str | None, str]:
    """A valid IMO number, or None and why the record has none."""
    if not candidate:
        return None, f"registration id {raw_id!r} is not marked IMO" if raw_id else "no IMO number"
    if not _IMO_RE.fullmatch(candidate):
        return None, f"IMO {candidate!r} is not 7 digits"
    if not imo_check_digit_ok(candidate):
        return None, f"IMO {candidate} fails the check digit"
    return candidate, ""


def _ofac_source(path: Path, ent_num: str, programs: tuple[str, ...]) -> str:
    """How the notes cite an OFAC entry."""
    return f"OFAC SDN ent_num {ent_num} program {'/'.join(programs)} ({path.name})"


def _ofac_vessel(
    source: str,
    name: str,
    imo: tuple[str | None, str],
    vessel_type: str,
    flag: str,
    programs: tuple[str, ...],
    tonnage: str,
    grt: str,
    aliases: tuple[tuple[str, str], ...],
) -> ListedVessel:
    """A ListedVessel from the fields the CSV and XML forms of the SDN list share."""
    sizes = {
        k: v for k, v in (("dwt", _positive_number(tonnage)), ("gross_tonnage", _positive_number(grt))) if v is not None
    }
    return ListedVessel(
        source=source,
        name=name,
        imo=imo[0],
        problem=imo[1],
        vessel_type=vessel_type,
        flag=flag,
        sanctions=(OFAC_CODE,),
        programs=programs,
        sizes=sizes,
        size_notes={"dwt": OFAC_TONNAGE_NOTE},
        aliases=aliases,
    )


def read_ofac_csv(path: Path) -> list[ListedVessel]:
    """Vessel entries of an OFAC SDN sdn.csv, with or without an added header row."""
    path = Path(path)
    vessels = []
    for line, record in _csv_records(path, "OFAC SDN CSV"):
        first = record[0].strip() if record else ""
        if line == 1 and not _DIGITS_RE.fullmatch(first):  # OFAC's file has no header; copies often add one
            continue
        if not any(f.strip(" \x1a") for f in record):  # sdn.csv ends with a DOS end-of-file byte (0x1A) row
            continue
        if len(record) != len(OFAC_COLUMNS):
            raise TankerwatchError(f"{path}:{line}: expected {len(OFAC_COLUMNS)} OFAC SDN fields, got {len(record)}")
        if not _DIGITS_RE.fullmatch(first):
            raise TankerwatchError(f"{path}:{line}: ent_num {first!r} is not a number")
        f = {c: ("" if v.strip() == OFAC_EMPTY else v.strip()) for c, v in zip(OFAC_COLUMNS, record, strict=True)}
        if f["SDN_Type"].lower() != "vessel":
            continue
        # sdn.csv drops the outer brackets of '[DPRK] [DPRK3]', leaving 'DPRK] [DPRK3'
        programs = tuple(p.strip() for p in re.split(r"[\[\]]", f["Program"]) if p.strip())
        imo, reg_id = _OFAC_IMO_RE.search(f["Remarks"]), _OFAC_REG_ID_RE.search(f["Remarks"])
        vessels.append(
            _ofac_vessel(
                _ofac_source(path, f["ent_num"], programs),
                f["SDN_Name"],
                _checked_imo(imo.group(1) if imo else "", reg_id.group(1) if reg_id else ""),
                f["Vess_type"],
                f["Vess_flag"],
                programs,
                f["Tonnage"],
                f["GRT"],
                tuple(_ALIAS_RE.findall(f["Remarks"])),
            )
        )
    return vessels


def read_ofac_xml(path: Path) -> list[ListedVessel]:
    """Vessel entries of an OFAC SDN sdn.xml."""
    path = Path(path)
    vessels = []
    for entry in _xml_root(path, "OFAC SDN XML", "sdnList").iterfind("sdnEntry"):
        if _text(entry, "sdnType").lower() != "vessel":
            continue
        programs = tuple(
            " ".join(e.text.split()) for e in entry.iterfind("programList/program") if e.text and e.text.strip()
        )
        reg_ids = [_text(i, "idNumber") for i in entry.iterfind("idList/id") if _text(i, "idType") == OFAC_REG_ID]
        imos = [m.group(1) for m in (re.fullmatch(r"IMO\s*(\S+)", r) for r in reg_ids) if m]
        aliases = tuple(
            (_text(a, "type"), " ".join(filter(None, (_text(a, "firstName"), _text(a, "lastName")))))
            for a in entry.iterfind("akaList/aka")
        )
        info = entry.find("vesselInfo")
        vessels.append(
            _ofac_vessel(
                _ofac_source(path, _text(entry, "uid"), programs),
                _text(entry, "lastName"),
                _checked_imo(imos[0] if imos else "", "; ".join(reg_ids)),
                _text(info, "vesselType"),
                _text(info, "vesselFlag"),
                programs,
                _text(info, "tonnage"),
                _text(info, "grossRegisteredTonnage"),
                aliases,
            )
        )
    return vessels


def _ship_imo_in(name: str, text: str) -> str | None:
    """The first IMO ship number in an entity's text; organisations and company numbers are not ships."""
    if _ORGANISATION_RE.search(name):
        return None
    for match in _IMO_IN_TEXT_RE.finditer(text):
        after_company = _COMPANY_BEFORE_RE.search(text[max(0, match.start() - 40) : match.start()])
        if not after_company and imo_check_digit_ok(match.group(1)):
            return match.group(1)
    return None


def read_un_xml(path: Path) -> tuple[list[ListedVessel], int]:
    """Vessels of a UN consolidated list (ENTITY records naming a ship IMO number), and how many
    entities carry an IMO number that is not a ship's (shipping companies have IMO company numbers)."""
    path = Path(path)
    vessels, company_numbers = [], 0
    for entity in _xml_root(path, "UN consolidated list XML", "CONSOLIDATED_LIST").iterfind("ENTITIES/ENTITY"):
        text = " ".join(entity.itertext())
        imo = _ship_imo_in(_text(entity, "FIRST_NAME"), text)
        if imo is None:
            company_numbers += bool(_IMO_IN_TEXT_RE.search(text))
            continue
        list_type = _text(entity, "UN_LIST_TYPE")
        vessels.append(
            ListedVessel(
                source=f"UN consolidated list {_text(entity, 'REFERENCE_NUMBER')} ({path.name})",
                name=_text(entity, "FIRST_NAME"),
                imo=imo,
                sanctions=(UN_CODES.get(list_type, f"UN-{list_type}"),),
                programs=(list_type,),
                aliases=tuple(
                    ("a.k.a.", _text(a, "ALIAS_NAME"))
                    for a in entity.iterfind("ENTITY_ALIAS")
                    if _text(a, "ALIAS_NAME")
                ),
            )
        )
    return vessels, company_numbers


def _table_rows(path: Path, what: str, required: tuple[str, ...]) -> list[tuple[int, dict[str, str]]]:
    """Rows of a CSV table with a header, as column -> stripped value, with their line numbers."""
    rows = _csv_records(path, what)
    if not rows:
        raise TankerwatchError(f"{path}: empty file (expected a header line with {', '.join(required)})")
    header = [h.strip().lower() for h in rows[0][1]]
    missing = [c for c in required if c not in header]
    if missing:
        raise TankerwatchError(f"{path}: missing column(s) {', '.join(missing)} ({what})")
    table = []
    for line, record in rows[1:]:
        if not any(v.strip() for v in record):
            continue
        if len(record) != len(header):
            raise TankerwatchError(f"{path}:{line}: expected {len(header)} fields, got {len(record)}")
        table.append((line, {h: v.strip() for h, v in zip(header, record, strict=True)}))
    return table


def _row_sizes(path: Path, line: int, row: dict[str, str]) -> dict[str, float]:
    """The dimension columns a table row fills; a value that is not a positive number names its line."""
    sizes = {}
    for column in DIMENSION_COLUMNS:
        value = row.get(column, "")
        if value:
            number = _positive_number(value) if "_" not in value else None  # float() would take '1_000'
            if number is None:
                raise TankerwatchError(f"{path}:{line}: {column} {value!r} is not a positive number")
            sizes[column] = number
    return sizes


def _table_source(path: Path, line: int, cited: str) -> str:
    """How the notes cite a row of a compiled table, with the source it names."""
    return f"{path.name} line {line}" + (f": {cited}" if cited else "")


def read_vessel_table(path: Path) -> list[ListedVessel]:
    """Vessels of a compiled table: name and imo columns; optional vessel_type, flag, length_m, beam_m,
    dwt, gross_tonnage, sanctions (';'-separated codes) and source."""
    path = Path(path)
    vessels = []
    for line, row in _table_rows(path, "vessel table", ("name", "imo")):
        imo, problem = _checked_imo(row["imo"])
        vessels.append(
            ListedVessel(
                source=_table_source(path, line, row.get("source", "")),
                name=row["name"],
                imo=imo,
                problem=problem,
                vessel_type=row.get("vessel_type", ""),
                flag=row.get("flag", ""),
                sanctions=tuple(s.strip() for s in row.get("sanctions", "").split(";") if s.strip()),
                sizes=_row_sizes(path, line, row),
            )
        )
    return vessels


@dataclass
class ParticularsRow:
    """One row of a dimensions or particulars table, before it is joined to a registry vessel."""

    line: int
    where: str  # file and line, for short mentions in the notes
    source: str  # how the notes cite the row: file, line and the row's own source column
    imo: str | None
    problem: str  # why a given IMO is not usable; empty when valid or not given
    name: str = ""
    former_names: tuple[str, ...] = ()
    former_names_text: str = ""  # the cell as written, notes in brackets kept, for the registry notes
    sizes: dict[str, float] = field(default_factory=dict)
    vessel_type: str = ""
    year_built: str = ""

    def has_particulars(self) -> bool:
        """Whether the row adds anything to a vessel: a size, a type, a build year or former names."""
        return bool(self.sizes or self.vessel_type or self.year_built or self.former_names)


@dataclass
class JoinedRow:
    """A particulars row joined to a registry vessel, and how: 'IMO', 'name' or 'former name'."""

    row: ParticularsRow
    imo: str
    how: str
    matched: str = ""  # the name that matched, for name joins


def split_former_names(text: str) -> tuple[str, ...]:
    """The names in a former_names cell: ';', ',' and ' / ' separate them; bracketed notes and
    'later'/'ex' prefixes are not part of a name."""
    names = (_NAME_PREFIX_RE.sub("", n.strip()) for n in _NAME_SEPARATORS_RE.split(_PARENTHESES_RE.sub(" ", text)))
    return tuple(dict.fromkeys(" ".join(n.split()) for n in names if n.strip()))


def _year_built(path: Path, line: int, value: str) -> str:
    """A build year of the table, or an error naming the line."""
    if value and not _YEAR_RE.fullmatch(value):
        raise TankerwatchError(f"{path}:{line}: year_built {value!r} is not a year")
    return value


def read_dimensions(path: Path) -> list[ParticularsRow]:
    """The rows of a dimensions or particulars table: an imo column, and any of name, former_names
    (';'-separated), vessel_type, length_m, beam_m, dwt, gross_tonnage, year_built and a source or
    source_urls column that the notes cite."""
    path = Path(path)
    rows = []
    for line, row in _table_rows(path, "dimensions table", ("imo",)):
        imo, problem = _checked_imo(row["imo"]) if row["imo"] else (None, "")
        rows.append(
            ParticularsRow(
                line=line,
                where=f"{path.name} line {line}",
                source=_table_source(path, line, row.get("source") or row.get("source_urls", "")),
                imo=imo,
                problem=problem,
                name=" ".join(row.get("name", "").split()),
                former_names=split_former_names(row.get("former_names", "")),
                former_names_text=row.get("former_names", ""),
                sizes=_row_sizes(path, line, row),
                vessel_type=row.get("vessel_type", ""),
                year_built=_year_built(path, line, row.get("year_built", "")),
            )
        )
    return rows


def _name_key(name: str) -> str:
    """A vessel name as the join compares it: case and runs of whitespace do not count."""
    return " ".join(name.split()).casefold()


def _name_index(records: Sequence[ListedVessel]) -> dict[str, set[str]]:
    """The IMOs each list name or alias belongs to, over the records that have an IMO."""
    index: dict[str, set[str]] = {}
    for record in records:
        if record.imo is not None:
            for name in (record.name, *(alias for _, alias in record.aliases)):
                if name.strip():
                    index.setdefault(_name_key(name), set()).add(record.imo)
    return index


def _unique_match(names: Sequence[str], index: dict[str, set[str]]) -> tuple[str | None, str, dict[str, str]]:
    """The one IMO these names point to and the name that found it, or None and every IMO found."""
    found: dict[str, str] = {}
    for name in names:
        for imo in sorted(index.get(_name_key(name), ())):
            found.setdefault(imo, name)
    if len(found) == 1:
        imo, name = next(iter(found.items()))
        return imo, name, found
    return None, "", found


def _ambiguous(what: str, found: dict[str, str]) -> str:
    """Why a name join was refused: the name fits several registry vessels."""
    return f"{what} is ambiguous: names or aliases of IMO {', '.join(sorted(found))}"


def _unlisted_names(records: Sequence[ListedVessel]) -> set[str]:
    """The names of list records that have no IMO, and so no registry vessel to join."""
    return {_name_key(n) for r in records if r.imo is None for n in (r.name, *(a for _, a in r.aliases)) if n.strip()}


def join_row(
    row: ParticularsRow, listed: Set[str], index: dict[str, set[str]], unlisted_names: Set[str] = frozenset()
) -> tuple[JoinedRow | None, str]:
    """A table row (with particulars) joined to a registry vessel by IMO, else by its name, else by a
    former name; or None and why it was not joined."""
    if row.imo is not None:
        if row.imo in listed:
            return JoinedRow(row, row.imo, "IMO"), ""
        return None, f"IMO {row.imo} is on no list read (or outside --program)"
    if row.problem:
        return None, row.problem
    if not row.name and not row.former_names:
        return None, "no IMO number and no name"
    if row.name:
        imo, name, found = _unique_match([row.name], index)
        if imo is not None:
            return JoinedRow(row, imo, "name", name), ""
        if found:
            return None, _ambiguous(f"name {row.name!r}", found)
    imo, name, found = _unique_match(row.former_names, index)
    if imo is not None:
        return JoinedRow(row, imo, "former name", name), ""
    if found:
        return None, _ambiguous(f"former names of {row.name or '(no name)'}", found)
    if any(_name_key(n) in unlisted_names for n in (row.name, *row.former_names) if n):
        return None, "no IMO, and the list entries of that name have no IMO either (so no registry vessel)"
    return None, "no IMO, and neither its name nor a former name is a listed vessel's name or alias"


def join_particulars(
    path: Path, rows: Sequence[ParticularsRow], records: Sequence[ListedVessel]
) -> tuple[SourceReport, dict[str, list[JoinedRow]]]:
    """A table's rows joined to the registry vessels of the list records, and the file's report."""
    listed = {r.imo for r in records if r.imo is not None}
    index, unlisted_names = _name_index(records), _unlisted_names(records)
    report = SourceReport(Path(path), "dimensions", records=len(rows), with_imo=sum(r.imo is not None for r in rows))
    joined: dict[str, list[JoinedRow]] = {}
    for row in rows:
        if not row.has_particulars():
            report.empty += 1
            continue
        link, why = join_row(row, listed, index, unlisted_names)
        if link is None:
            report.skipped.append(f"{Path(path).name}:{row.line}: {row.name or '(no name)'}: {why}")
            report.unlisted += row.imo is not None and row.imo not in listed
            continue
        joined.setdefault(link.imo, []).append(link)
        report.joined_imo += link.how == "IMO"
        report.joined_name += link.how == "name"
        report.joined_former += link.how == "former name"
    return report, joined


def _in_programs(vessel: ListedVessel, programs: Sequence[str]) -> bool:
    """Whether a list record belongs to a wanted programme (a prefix: DPRK takes DPRK3)."""
    if not programs or not vessel.programs:  # tables carry no programme: the user chose their rows
        return True
    return any(p.upper().startswith(want.upper()) for p in vessel.programs for want in programs)


def _joined_notes(link: JoinedRow) -> list[str]:
    """What a joined table row says in the registry notes: its source, how it was joined, its particulars."""
    row = link.row
    how = "" if link.how == "IMO" else f" (joined by {link.how} {link.matched})"
    notes = [f"{'dimensions' if row.sizes else 'particulars'} from {row.source}{how}"]
    if row.former_names_text:
        notes.append(f"former names: {row.former_names_text}")
    if row.year_built:
        notes.append(f"built {row.year_built}")
    return notes


def _tonnage_note(length: float | None, beam: float | None, sizes: dict[str, float]) -> str:
    """The note for a size the matcher will estimate from tonnage, with the estimate's one-SD spread."""
    if length is not None:
        return ""  # a registered length: the matcher takes the beam from it, not from tonnage
    estimate = estimate_size(sizes.get("dwt"), sizes.get("gross_tonnage"))
    if estimate is None:
        return ""
    what = "length" if beam is not None else "length/beam"
    return f"{what} estimated from {estimate.basis.upper()} (±{100 * estimate.length_sd_m / estimate.length_m:.0f} %)"


def _merge_one(imo: str, records: list[ListedVessel], joined: Sequence[JoinedRow] = ()) -> Vessel:
    """One registry vessel from every record with its IMO and the table rows joined to it.

    A joined table is the user's best knowledge of sizes: its figures win, and a list figure it
    replaces is noted. The lists' type comes first; a table's type fills only where they give none.
    """
    sizes: dict[str, float] = {}
    notes = [r.source for r in records]
    for record in records:
        for column, value in record.sizes.items():
            if column not in sizes:  # the first record to give a size keeps it
                sizes[column] = value
                if column in record.size_notes:
                    notes.append(record.size_notes[column])
    names = [(kind, name) for r in records for kind, name in (("also listed as", r.name), *r.aliases)]
    seen = {_name_key(records[0].name)}
    for kind, name in names:
        if name and _name_key(name) not in seen:
            seen.add(_name_key(name))
            notes.append(f"{kind} {name}")
    for link in joined:
        notes += _joined_notes(link)
        for column, value in link.row.sizes.items():
            if column in sizes and sizes[column] != value:
                notes.append(f"{column} {value:g} from {link.row.where} replaces the list's {sizes[column]:g}")
            sizes[column] = value
        if link.row.name and _name_key(link.row.name) not in seen:
            seen.add(_name_key(link.row.name))
            notes.append(f"named {link.row.name} in {link.row.where}")
    length, beam = sizes.get("length_m"), sizes.get("beam_m")
    if length is not None and beam is not None and beam >= length:
        raise TankerwatchError(f"imo {imo}: beam_m {beam:g} is not less than length_m {length:g} ({'; '.join(notes)})")
    tonnage_note = _tonnage_note(length, beam, sizes)
    notes += [tonnage_note] if tonnage_note else []
    vessel_type = next((r.vessel_type for r in records if r.vessel_type), "")
    return Vessel(
        imo=imo,
        name=records[0].name,
        vessel_type=vessel_type or next((j.row.vessel_type for j in joined if j.row.vessel_type), ""),
        flag=next((r.flag for r in records if r.flag), ""),
        length_m=length,
        beam_m=beam,
        dwt=sizes.get("dwt"),
        gross_tonnage=sizes.get("gross_tonnage"),
        sanctions=tuple(dict.fromkeys(code for r in records for code in r.sanctions)),
        notes="; ".join(dict.fromkeys(notes)),  # two tables citing the same build year say it once
    )


def merge_vessels(records: list[ListedVessel], joined: dict[str, list[JoinedRow]] | None = None) -> list[Vessel]:
    """Registry vessels keyed by IMO, in first-listed order; records without an IMO are left out."""
    joined = joined or {}
    by_imo: dict[str, list[ListedVessel]] = {}
    for record in records:
        if record.imo is not None:
            by_imo.setdefault(record.imo, []).append(record)
    return [_merge_one(imo, group, joined.get(imo, ())) for imo, group in by_imo.items()]


def _kept(
    path: Path, kind: str, records: list[ListedVessel], programs: Sequence[str], company_numbers: int = 0
) -> tuple[SourceReport, list[ListedVessel]]:
    """A list file's report and its records in the wanted programmes."""
    kept = [r for r in records if _in_programs(r, programs)]
    skipped = [f"{r.name or '(no name)'} [{r.source}]: {r.problem}" for r in kept if r.imo is None]
    report = SourceReport(
        path,
        kind,
        records=len(records),
        outside_programs=len(records) - len(kept),
        with_imo=len(kept) - len(skipped),
        skipped=skipped,
        company_numbers=company_numbers,
    )
    return report, kept


def import_registry(
    ofac_csv: Sequence[Path] = (),
    ofac_xml: Sequence[Path] = (),
    un_xml: Sequence[Path] = (),
    tables: Sequence[Path] = (),
    dimensions: Sequence[Path] = (),
    programs: Sequence[str] = (),
) -> ImportResult:
    """Read the lists and tables, keep the wanted programmes, merge by IMO and join the dimensions tables
    (by IMO, or by a unique name or former name for rows without one)."""
    readers = [  # (files, kind, reader giving the vessel records and the count of company IMO numbers)
        (ofac_csv, "OFAC SDN CSV", lambda p: (read_ofac_csv(p), 0)),
        (ofac_xml, "OFAC SDN XML", lambda p: (read_ofac_xml(p), 0)),
        (un_xml, "UN consolidated XML", read_un_xml),
        (tables, "vessel table", lambda p: (read_vessel_table(p), 0)),
    ]
    reports, records = [], []
    for paths, kind, reader in readers:
        for path in map(Path, paths):
            vessels, company_numbers = reader(path)
            report, kept = _kept(path, kind, vessels, programs, company_numbers)
            reports.append(report)
            records += kept
    joined: dict[str, list[JoinedRow]] = {}
    for path in map(Path, dimensions):
        report, links = join_particulars(path, read_dimensions(path), records)
        reports.append(report)
        for imo, rows in links.items():
            joined.setdefault(imo, []).extend(rows)
    return ImportResult(merge_vessels(records, joined), reports)


def source_report_line(report: SourceReport) -> str:
    """One line saying what an input file gave, as `registry import` prints it."""
    if report.kind == "dimensions":
        parts = [
            f"{report.records} rows",
            f"{report.joined_imo} joined by IMO",
            f"{report.joined_name} by name",
            f"{report.joined_former} by former name",
            f"{len(report.skipped)} not joined",
        ]
        if report.empty:
            parts.append(f"{report.empty} with nothing to add")
    else:
        parts = [f"{report.records} vessel records"]
        if report.outside_programs:
            parts.append(f"{report.outside_programs} outside --program")
        parts += [f"{report.with_imo} with IMO", f"{len(report.skipped)} skipped"]
        if report.company_numbers:
            parts.append(f"{report.company_numbers} entities with an IMO company number (not ships)")
    return f"{report.path.name} ({report.kind}): {', '.join(parts)}"


def _registry_number(value: float | None) -> str:
    """A size as the registry writes it: empty when unknown, no trailing '.0'."""
    if value is None:
        return ""
    return str(int(value)) if value.is_integer() else repr(value)


def registry_csv_text(vessels: list[Vessel]) -> str:
    """A registry CSV in the DESIGN.md column order."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for v in vessels:
        sizes = (_registry_number(x) for x in (v.length_m, v.beam_m, v.dwt, v.gross_tonnage))
        writer.writerow([v.imo, v.name, v.vessel_type, v.flag, *sizes, ";".join(v.sanctions), v.notes])
    return out.getvalue()


def write_registry(path: Path, vessels: list[Vessel]) -> None:
    """Write a registry CSV atomically: a reader never sees half a registry."""
    atomic_write_text(Path(path), registry_csv_text(vessels))


def registry_summary(vessels: list[Vessel]) -> str:
    """Counts a reader checks a registry by: sizes known, tankers, sanctions programmes."""
    both = sum(v.length_m is not None and v.beam_m is not None for v in vessels)
    tonnage_only = sum(
        (v.length_m is None or v.beam_m is None) and (v.dwt is not None or v.gross_tonnage is not None) for v in vessels
    )
    codes: dict[str, int] = {}
    for v in vessels:
        for code in v.sanctions:
            codes[code] = codes.get(code, 0) + 1
    programmes = ", ".join(f"{c} {n}" for c, n in codes.items()) or "none"
    return (
        f"{len(vessels)} vessels; {both} with length and beam, {tonnage_only} with tonnage only (size estimable), "
        f"{len(vessels) - both - tonnage_only} size unknown; "
        f"{sum('tanker' in v.vessel_type.lower() for v in vessels)} typed as tankers; "
        f"{sum(not v.sanctions for v in vessels)} without a sanctions code; programmes: {programmes}"
    )


def registry_table(vessels: list[Vessel], notes: bool = False) -> str:
    """A fixed-width table of registry vessels, with each vessel's notes under it when asked."""
    header = ("IMO", "NAME", "TYPE", "FLAG", "LENGTH_M", "BEAM_M", "DWT", "GT", "SANCTIONS")
    rows = [
        (
            v.imo,
            v.name,
            v.vessel_type,
            v.flag,
            *(_registry_number(x) or "-" for x in (v.length_m, v.beam_m, v.dwt, v.gross_tonnage)),
            ";".join(v.sanctions) or "-",
        )
        for v in vessels
    ]
    widths = [max(len(str(r[i])) for r in (header, *rows)) for i in range(len(header))]
    lines = ["  ".join(h.ljust(w) for h, w in zip(header, widths, strict=True)).rstrip()]
    for vessel, row in zip(vessels, rows, strict=True):
        lines.append("  ".join(str(c).ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
        if notes and vessel.notes:
            lines.append(f"    notes: {vessel.notes}")
    return "\n".join(lines)
